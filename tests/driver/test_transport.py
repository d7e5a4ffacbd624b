from types import SimpleNamespace

import pytest

from incident_cli import protocol as p
from incident_cli.driver.transport import close_error, describe_close, http_failure, is_loopback, server_date
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


@pytest.mark.parametrize(
    ("url", "expected"),
    [("ws://127.0.0.1:1/x", True), ("ws://127.9.9.9/x", True), ("ws://localhost/x", True), ("ws://[::1]:8/x", True),
     ("wss://example.com/x", False), ("ws://10.0.0.1/x", False)],
)
def test_is_loopback(url, expected):
    assert is_loopback(url) is expected


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
