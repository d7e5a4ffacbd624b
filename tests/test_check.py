import pytest

from incident_cli.check import check
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.driver.credentials import StaticCredentials
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import AuthError, Unavailable
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


def test_check_calls_a_server_healthy_when_it_answers_queries_over_http_only():
    async def body():
        options = ServerOptions(rate=0, protocols=("graphql-ws",), http=True, socket_queries=False)
        server = await DemoServer(options).start()
        try:
            return await check(SessionConfig(url=server.url), StaticCredentials(None)), server.http_queries
        finally:
            await server.stop()

    result, asked = run(body())
    assert result.subprotocol == "graphql-ws" and result.queries == "http" and asked == 1
    assert result.active_incidents == 6 and result.ping_ms is None  # the legacy dialect has no ping


def test_check_still_fails_when_neither_the_socket_nor_http_answers_queries():
    from incident_cli.errors import OperationRejected

    async def body():
        server = await DemoServer(ServerOptions(rate=0, protocols=("graphql-ws",), socket_queries=False)).start()
        try:
            with pytest.raises(OperationRejected, match="queries are not allowed.*over HTTP"):
                await check(SessionConfig(url=server.url), StaticCredentials(None))
        finally:
            await server.stop()

    run(body())
