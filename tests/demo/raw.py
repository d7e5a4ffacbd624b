"""A raw graphql-transport-ws client for driving the demo server in tests."""

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

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
