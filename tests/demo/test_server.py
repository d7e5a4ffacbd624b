"""The demo server as the reference servers behave (PROTOCOL.md), driven by a raw client."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from tests.helpers import run, seconds

MODERN = "graphql-transport-ws"


async def started(**options):
    defaults = {"rate": 300, "heartbeat_interval": 0.1}
    return await DemoServer(ServerOptions(**{**defaults, **options})).start()


async def send(ws, **message):
    await ws.send(json.dumps(message))


async def receive(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), seconds(5)))


async def closed_with(ws):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), seconds(5))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def acked(url, protocol=MODERN, payload=None):
    ws = await connect(url, subprotocols=[protocol])
    await send(ws, type="connection_init", **({"payload": payload} if payload else {}))
    ack = await receive(ws)
    assert ack["type"] == "connection_ack" and ack["payload"]["server"] == "incidents-demo"
    return ws


async def results(ws, op_id, count):
    items = []
    while len(items) < count:
        message = await receive(ws)
        if message.get("id") == op_id and message["type"] in ("next", "data"):
            items.append(message["payload"]["data"])
    return items


def with_server(test, **options):
    async def body():
        server = await started(**options)
        try:
            return await test(server)
        finally:
            await server.stop()

    return run(body())


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


def test_wrong_path_is_404_and_no_subprotocol_is_4406():
    async def test(server):
        with pytest.raises(InvalidStatus) as info:
            await connect(server.url.replace("/graphql/ws", "/nope"), subprotocols=[MODERN])
        assert info.value.response.status_code == 404
        async with connect(server.url) as ws:
            assert ws.subprotocol is None
            return await closed_with(ws)

    assert with_server(test) == 4406


def test_token_required_in_payload_or_header():
    async def test(server):
        ws = await acked(server.url, payload={"Authorization": "Bearer s3cret"})
        await ws.close()
        async with connect(server.url, subprotocols=[MODERN], additional_headers={"Authorization": "Bearer s3cret"}) as ws:
            await send(ws, type="connection_init")
            assert (await receive(ws))["type"] == "connection_ack"
        async with connect(server.url, subprotocols=[MODERN]) as ws:
            await send(ws, type="connection_init", payload={"Authorization": "Bearer nope"})
            return await closed_with(ws)

    assert with_server(test, token="s3cret") == 4403


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


def test_filters_really_filter():
    async def test(server):
        ws = await acked(server.url)
        queries = {
            "low": "subscription { newIncidents(severities: [P3, P4]) { severity } }",
            "crit": "subscription { criticalIncidents { severity } }",
            "p0": "subscription { incidentUpdates(severities: [P0]) { incidentId updateType } }",
        }
        for op_id, query in queries.items():
            await send(ws, type="subscribe", id=op_id, payload={"query": query})
        got = {op_id: [] for op_id in queries}
        while min(len(got["low"]), len(got["crit"])) < 5 or len(got["p0"]) < 5:
            message = await receive(ws)
            if message["type"] == "next":
                got[message["id"]].append(message["payload"]["data"])
        await ws.close()
        return got

    got = with_server(test, seed=11)
    server_sim_severities = {"P3", "P4"}
    assert {d["newIncidents"]["severity"] for d in got["low"]} <= server_sim_severities
    assert {d["criticalIncidents"]["severity"] for d in got["crit"]} <= {"P0", "P1"}
    updates = [d["incidentUpdates"] for d in got["p0"] if d["incidentUpdates"]["updateType"] != "HEARTBEAT"]
    assert all(u["incidentId"] for u in updates)


def test_p0_updates_are_only_for_p0_incidents():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="u", payload={"query": "subscription { incidentUpdates(severities: [P0], activeOnly: true) { incidentId updateType } }"})
        seen = []
        while len(seen) < 5:
            data = (await results(ws, "u", 1))[0]["incidentUpdates"]
            if data["incidentId"]:
                seen.append(server.simulator.incidents[data["incidentId"]])
        await ws.close()
        return seen

    seen = with_server(test, seed=4)
    assert all(incident["severity"] == "P0" for incident in seen)


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


def test_hostile_titles_are_served_as_data():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="1", payload={"query": "subscription { newIncidents { title } }"})
        titles = [d["newIncidents"]["title"] for d in await results(ws, "1", 3)]
        await ws.close()
        return titles

    titles = with_server(test, hostile_titles=True)
    assert any("\x1b" in title for title in titles)
