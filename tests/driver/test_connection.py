"""One socket on its own: handshake, a query before subscribing, a ping round trip, ending."""

import asyncio
import time

import pytest

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.driver.connection import Connection, Finished
from incident_cli.driver.delivery import Delivery
from incident_cli.driver.inbox import Inbox
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import Disconnected
from tests.helpers import run


def connection(url, **overrides):
    """A connection delivering into inboxes the test reads, as the session would."""
    events, control = Inbox(), Inbox()
    conn = Connection(
        SessionConfig(url=url, **{"ack_timeout": 2.0, **overrides}), token=None, offer=None,
        delivery=Delivery(events, time.monotonic), control=control, monotonic=time.monotonic,
    )
    return conn, events, control


async def close_when_ended(control, ended, conn):
    """The supervisor's part: note each ended operation; nothing left, so close. What travels
    up names the connection by its number, never hands the object over."""
    for item in await control.take_all():
        assert item.connection == conn.serial
        ended.append((item.operation.label, item.errors))
        conn.request_close(1000)
        await conn.flush()


def test_ask_round_trip_subscribe_and_end():
    async def body():
        server = await DemoServer(ServerOptions(rate=200)).start()
        try:
            conn, events, control = connection(server.url)
            ended = []
            await conn.open()
            assert conn.acknowledged and conn.ready and conn.dialect.value == "graphql-transport-ws"
            data = await conn.ask(ops.active_incidents_query(page_size=1))
            assert data["incidents"]["pageInfo"]["totalCount"] == 6
            assert await conn.round_trip() is True
            await conn.subscribe_all([ops.custom("query { activeIncidents { pageInfo { totalCount } } }", None)])
            supervisor = asyncio.create_task(close_when_ended(control, ended, conn))
            with pytest.raises(Finished):
                await conn.run()  # the query completes, we close: the end, not a disconnect
            await asyncio.wait_for(supervisor, 2)
        finally:
            await server.stop()
        assert not control  # the connection never calls up: one control item, read once
        return await events.take_all(), ended

    emitted, ended = run(body())
    # Results go down as decoded (the consumer makes them events): labelled with the operation.
    results = [e for e in emitted if isinstance(e, model.Result)]
    assert results and all(r.subscription == "custom" for r in results) and ended == [("custom", ())]


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


def test_events_carry_the_scope_of_the_operation_they_came_on():
    async def body():
        server = await DemoServer(ServerOptions(rate=200)).start()
        try:
            conn, events, _ = connection(server.url)
            await conn.open()
            updates = ops.subscription("updates", severities=("P0", "P1"))
            await conn.subscribe_all([updates])
            reader = asyncio.create_task(conn.run())
            try:
                async with asyncio.timeout(5):
                    while not (got := [e.event() for e in await events.take_all() if isinstance(e, model.Result)]):
                        pass
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        finally:
            await server.stop()
        return got, updates

    got, updates = run(body())
    assert all(isinstance(event, model.IncidentUpdated) for event in got)
    assert all(event.scope is updates.scope for event in got)
    assert got[0].scope.within == frozenset({"P0", "P1"})
