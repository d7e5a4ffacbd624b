from types import SimpleNamespace

import pytest

from incident_cli import protocol as p
from incident_cli.driver.transport import close_error, describe_close, http_failure, server_date
from incident_cli.errors import AuthError, ClientBug, Disconnected, OperationRejected, ProtocolMismatch


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, AuthError), (403, AuthError), (404, ProtocolMismatch), (400, ProtocolMismatch), (200, ProtocolMismatch),
     (500, Disconnected), (502, Disconnected), (503, Disconnected), (429, Disconnected)],
)
def test_http_failures(status, kind):
    error = http_failure(status, "ws://h/graphql/ws")
    assert type(error) is kind and str(status) in error.message


def test_rate_limited_http_is_marked():
    assert http_failure(429, "ws://h").rate_limited and not http_failure(503, "ws://h").rate_limited


def test_describe_close_sanitises_and_bounds_the_reason():
    assert describe_close(None, "") == "connection dropped without a close frame (1006)"
    assert describe_close(1012, "") == "closed with 1012"
    described = describe_close(4403, "\x1b]0;x\x07" + "y" * 300)
    assert "\x1b" not in described and len(described) < 160


@pytest.mark.parametrize(
    ("cause", "kind"),
    [(p.Cause.AUTH, AuthError), (p.Cause.CLIENT_BUG, ClientBug), (p.Cause.REJECTED, OperationRejected),
     (p.Cause.PROTOCOL, ProtocolMismatch)],
)
def test_close_error_by_cause(cause, kind):
    error = close_error(cause, "4403 Forbidden")
    assert isinstance(error, kind) and "4403 Forbidden" in str(error)


def test_server_date_from_the_handshake_response():
    def ws(date):
        return SimpleNamespace(response=SimpleNamespace(headers={"Date": date} if date else {}))

    assert server_date(ws("Fri, 27 Nov 2026 19:00:00 GMT")) == 1795806000.0
    assert server_date(ws("not a date")) is None
    assert server_date(ws(None)) is None
    assert server_date(SimpleNamespace(response=None)) is None


class RefusingProxy:
    """A proxy on loopback that answers every CONNECT with ``status``, counting them."""

    def __init__(self, status):
        self.status, self.connects = status, []

    async def serve(self, reader, writer):
        request = await reader.readuntil(b"\r\n\r\n")
        self.connects.append(request.split(b"\r\n")[0].decode())
        writer.write(f"HTTP/1.1 {self.status} Refused\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()


def _through(proxy_status, *args):
    """``incidents watch`` at a host outside loopback, through the refusing proxy."""
    import asyncio
    import os
    import threading

    from tests.helpers import incidents

    proxy = RefusingProxy(proxy_status)
    loop = asyncio.new_event_loop()
    started, port, done = threading.Event(), [], []

    async def serve():
        server = await asyncio.start_server(proxy.serve, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        done.append(asyncio.Event())
        started.set()
        await done[0].wait()
        server.close()
        await server.wait_closed()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert started.wait(10)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_") and "proxy" not in k.lower()}
    environ["HTTP_PROXY"] = environ["HTTPS_PROXY"] = f"http://127.0.0.1:{port[0]}"
    try:
        # incidents.invalid never resolves: only the proxy (on loopback) is ever spoken to.
        # A process of its own: websockets reads the proxy variables from the process's environment.
        return incidents("watch", "--url", "ws://incidents.invalid/graphql/ws", *args, env=environ, timeout=60,
                         process=True), proxy
    finally:
        loop.call_soon_threadsafe(done[0].set)
        thread.join(10)
        loop.close()


def test_a_proxys_5xx_is_a_disconnect_retried_with_backoff_and_its_4xx_is_fatal_at_once():
    bad_gateway, proxy = _through(502, "--max-retries", "2")
    assert bad_gateway.returncode == 69, bad_gateway.stderr  # gave up after the retries, not 76 after one
    assert len(proxy.connects) == 3 and proxy.connects[0].startswith("CONNECT incidents.invalid:80")
    assert "the proxy answered HTTP 502 to CONNECT" in bad_gateway.stderr
    credentials, proxy = _through(407)
    assert credentials.returncode == 78 and len(proxy.connects) == 1
    assert "the proxy asks for credentials (HTTP 407)" in credentials.stderr
