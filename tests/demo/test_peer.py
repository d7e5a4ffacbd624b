"""One socket on the demo server behaves as the reference servers do (PROTOCOL.md)."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from incident_cli.demo.faults import Faults
from tests.demo.raw import MODERN, acked, closed_with, receive, results, send, with_server


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ([], 4408),  # no init in time
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "subscribe", "id": "1", "payload": {"query": "subscription { alerts { id } }"}}], 4401),
        (["not json"], 4400),
        ([{"type": "connection_init"}, {"type": "start", "id": "1", "payload": {"query": "{ a }"}}], 4400),
        ([{"type": "connection_init", "payload": "str"}], 4400),
    ],
)
def test_close_codes_like_graphql_ws(script, code):
    async def test(server):
        async with connect(server.url, subprotocols=[MODERN]) as ws:
            for message in script:
                await ws.send(message if isinstance(message, str) else json.dumps(message))
            return await closed_with(ws)

    assert with_server(test, faults=Faults(init_timeout=0.3)) == code


def test_duplicate_active_id_is_4409():
    async def test(server):
        ws = await acked(server.url)
        for _ in range(2):
            await send(ws, type="subscribe", id="same", payload={"query": "subscription { alerts { id } }"})
        return await closed_with(ws)

    assert with_server(test) == 4409


def test_ping_is_echoed_and_syntax_error_closes_4500():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="ping", payload={"n": 7})
        assert await receive(ws) == {"type": "pong", "payload": {"n": 7}}
        await send(ws, type="subscribe", id="1", payload={"query": "subscription {"})
        return await closed_with(ws)

    assert with_server(test) == 4500


def test_validation_error_is_an_error_message():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="1", payload={"query": "subscription { newIncidents(severities: [P9]) { id } }"})
        message = await receive(ws)
        await ws.close()
        return message

    message = with_server(test)
    assert message["type"] == "error" and message["id"] == "1" and "P9" in message["payload"][0]["message"]


def test_query_over_the_socket_then_complete():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="q", payload={"query": "{ activeIncidents { pageInfo { totalCount } } }"})
        first, second = await receive(ws), await receive(ws)
        await ws.close()
        return first, second

    first, second = with_server(test)
    assert first["type"] == "next" and first["payload"]["data"]["activeIncidents"]["pageInfo"]["totalCount"] == 6
    assert second == {"id": "q", "type": "complete"}


def test_legacy_dialect_start_data_stop_complete_ka_and_single_error():
    async def test(server):
        ws = await acked(server.url, protocol="graphql-ws")
        assert await receive(ws) == {"type": "ka"}
        await send(ws, type="start", id="1", payload={"query": "subscription { incidentUpdates { updateType } }"})
        data = await results(ws, "1", 2)
        await send(ws, type="stop", id="1")
        while (message := await receive(ws))["type"] != "complete":
            pass
        await send(ws, type="start", id="2", payload={"query": "subscription { nope }"})
        error = await receive(ws)
        await ws.close()
        return data, message, error

    data, complete, error = with_server(test, protocols=("graphql-ws",))
    assert all("incidentUpdates" in d for d in data) and complete == {"id": "1", "type": "complete"}
    assert error["type"] == "error" and isinstance(error["payload"], dict) and "nope" in error["payload"]["message"]


def test_legacy_auth_rejection_is_connection_error():
    async def test(server):
        async with connect(server.url, subprotocols=["graphql-ws"]) as ws:
            await send(ws, type="connection_init", payload={"Authorization": "Bearer bad"})
            message = await receive(ws)
            return message, await closed_with(ws)

    message, code = with_server(test, token="good", protocols=("graphql-ws",))
    assert message["type"] == "connection_error" and code == 1011


def test_fault_ack_delay_skip_ack_and_silence():
    async def test(server):
        loop = asyncio.get_running_loop()
        start = loop.time()
        ws = await acked(server.url)
        assert loop.time() - start >= 0.2
        await send(ws, type="subscribe", id="1", payload={"query": "subscription { incidentUpdates { updateType } }"})
        await results(ws, "1", 2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)  # silent after 2
        await ws.close()

    with_server(test, faults=Faults(ack_delay=0.2, silent_after=2))

    async def no_ack(server):
        async with connect(server.url, subprotocols=[MODERN]) as ws:
            await send(ws, type="connection_init")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.4)

    with_server(no_ack, faults=Faults(skip_ack=True))


def test_server_pings_when_asked():
    async def test(server):
        ws = await acked(server.url)
        message = await receive(ws)
        await ws.close()
        return message

    assert with_server(test, faults=Faults(ping_interval=0.05)) == {"type": "ping", "payload": {"n": 1}}
