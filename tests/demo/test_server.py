"""The demo server: endpoint, dialect choice, tokens, and the data it serves."""

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.demo.raw import MODERN, acked, closed_with, receive, results, send, with_server


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


def test_hostile_titles_are_served_as_data():
    async def test(server):
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="1", payload={"query": "subscription { newIncidents { title } }"})
        titles = [d["newIncidents"]["title"] for d in await results(ws, "1", 3)]
        await ws.close()
        return titles

    titles = with_server(test, hostile_titles=True)
    assert any("\x1b" in title for title in titles)
