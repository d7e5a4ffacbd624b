"""One socket on its own: handshake, a query before subscribing, a ping round trip, ending."""

import time

import pytest

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.driver.connection import Connection, Finished
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import Disconnected
from tests.helpers import run


def connection(url, **overrides):
    emitted, ended = [], []

    def on_end(conn, operation, errors, verdict):
        ended.append((operation.label, errors))
        conn.request_close(1000)  # what the session does when nothing is left

    conn = Connection(
        SessionConfig(url=url, **{"ack_timeout": 2.0, **overrides}), token=None, offer=None,
        emit=emitted.append, ended=on_end, monotonic=time.monotonic,
    )
    return conn, emitted, ended


def test_ask_round_trip_subscribe_and_end():
    async def body():
        server = await DemoServer(ServerOptions(rate=200)).start()
        try:
            conn, emitted, ended = connection(server.url)
            await conn.open()
            assert conn.acknowledged and conn.ready and conn.dialect.value == "graphql-transport-ws"
            data = await conn.ask(ops.active_incidents_query(page_size=1))
            assert data["incidents"]["pageInfo"]["totalCount"] == 6
            assert await conn.round_trip() is True
            await conn.subscribe_all([ops.custom("query { activeIncidents { pageInfo { totalCount } } }", None)])
            with pytest.raises(Finished):
                await conn.run()  # the query completes, we close: the end, not a disconnect
        finally:
            await server.stop()
        return emitted, ended

    emitted, ended = run(body())
    assert any(isinstance(e, model.StreamEvent) for e in emitted) and ended == [("custom", ())]


def test_a_closed_socket_during_open_is_a_disconnect():
    async def body():
        server = await DemoServer(ServerOptions(faults=Faults(skip_ack=True))).start()
        try:
            conn, _, _ = connection(server.url, ack_timeout=0.2)
            with pytest.raises(Disconnected, match="no connection_ack"):
                await conn.open()
            assert conn.ws.close_code == 4504
        finally:
            await server.stop()

    run(body())
