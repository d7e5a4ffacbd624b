"""The demo's front door: POST /graphql answered on the WebSocket's port, everything else relayed."""

import asyncio

from incident_cli.driver.http import post_json
from tests.demo.raw import acked, receive, results, send, with_server

ACTIVE = "query { incidents(filter: {activeOnly: true}) { incidents { id severity } } }"


def ask(url, query, **headers):
    return asyncio.to_thread(post_json, url, {"query": query}, headers=headers)


def test_queries_over_http_and_subscriptions_over_the_relayed_socket_share_one_port():
    async def test(server):
        answer = await ask(server.http_url, ACTIVE)
        ws = await acked(server.url)
        await send(ws, type="subscribe", id="1", payload={"query": "subscription { incidentUpdates { updateType } }"})
        streamed = await results(ws, "1", 2)
        await ws.close()
        return answer, streamed, server, (server.url, server.http_url)

    answer, streamed, server, (url, http_url) = with_server(test, http=True)
    assert answer.status == 200 and len(answer.body["data"]["incidents"]["incidents"]) == 6
    assert url.startswith("ws://127.0.0.1:") and http_url == url.replace("ws://", "http://").removesuffix("/ws")
    assert len(streamed) == 2 and server.http_queries == 1


def test_http_answers_errors_the_way_graphql_servers_do():
    token = {"Authorization": "Bearer s3cret"}

    async def test(server):
        return (
            await ask(server.http_url, "{ nope }", **token),
            await ask(server.http_url.replace("/graphql", "/other"), ACTIVE, **token),
            await ask(server.http_url, "subscription { alerts { id } }", **token),
            await ask(server.http_url, ACTIVE),
            await ask(server.http_url, ACTIVE, **token),
        )

    invalid, elsewhere, subscription, anonymous, allowed = with_server(test, http=True, token="s3cret")
    assert invalid.status == 400 and "nope" in invalid.body["errors"][0]["message"]
    assert elsewhere.status == 404
    assert subscription.status == 400 and "WebSocket" in subscription.body["errors"][0]["message"]
    assert anonymous.status == 401 and anonymous.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert allowed.status == 200 and allowed.body["data"]["incidents"]


def test_a_subscriptions_only_socket_refuses_queries_with_an_error_and_keeps_streaming():
    async def test(server):
        ws = await acked(server.url, protocol="graphql-ws")
        await send(ws, type="start", id="q", payload={"query": ACTIVE})
        await send(ws, type="start", id="s", payload={"query": "subscription { incidentUpdates { updateType } }"})
        refused = None
        while refused is None:
            message = await receive(ws)
            if message.get("id") == "q":
                refused = message
        streamed = await results(ws, "s", 1)
        await ws.close()
        return refused, streamed

    refused, streamed = with_server(test, protocols=("graphql-ws",), socket_queries=False)
    assert refused["type"] == "error" and "queries are not allowed" in refused["payload"]["message"]
    assert streamed
