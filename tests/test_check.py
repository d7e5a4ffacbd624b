import pytest

from incident_cli.check import check
from incident_cli.credentials import StaticCredentials
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.errors import AuthError, Unavailable
from incident_cli.session import SessionConfig
from tests.helpers import run


def test_check_measures_each_step_and_reads_the_total():
    async def body():
        server = await DemoServer(ServerOptions(rate=0)).start()
        try:
            return await check(SessionConfig(url=server.url), StaticCredentials(None))
        finally:
            await server.stop()

    result = run(body())
    assert result.subprotocol == "graphql-transport-ws" and result.active_incidents == 6
    assert result.handshake_ms > 0 and result.ping_ms is not None and result.query_ms is not None


def test_check_failures_keep_their_kind():
    async def body():
        server = await DemoServer(ServerOptions(token="s3cret")).start()
        try:
            with pytest.raises(AuthError):
                await check(SessionConfig(url=server.url), StaticCredentials(None))
        finally:
            await server.stop()
        with pytest.raises(Unavailable, match="unreachable"):
            await check(SessionConfig(url="ws://127.0.0.1:9/graphql/ws", open_timeout=2), StaticCredentials(None))

    run(body())
