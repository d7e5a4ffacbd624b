"""A flood server: graphql-transport-ws with pre-encoded frames, so it is never the bottleneck.

Usage: python -m bench.flood [--port P] [--count N] [--rate R] [--distinct] [--hold] [--introspection]

Each subscription is served by its own root field, as the incident server does: on
``newIncidents`` or ``criticalIncidents`` it sends N `next` frames of an incident (about
590 bytes), on ``incidentUpdates`` N updates, on ``incidentStateChanges`` N state changes, as
fast as it can or R a second on an absolute schedule, then `complete`. Queries are answered
once: the list of active incidents and one incident by id hold the same incident; an
introspection query is refused as production servers refuse it, or answered from the demo
schema with ``--introspection``. Paced frames carry their send time (``sentAt``, epoch
seconds) for latency. ``--distinct`` gives every frame its own incident id (memory over many
incidents); ``--hold`` keeps the operation open afterwards (idle CPU, restarts). It prints
``listening PORT`` once bound and ``sent N AT`` when a subscription's frames are out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

INCIDENT = {
    "id": "0becd7b0-3898-4190-b9eb-dacc0cb1e29c",
    "title": "checkout: elevated 5xx rate on the payment path",
    "description": "Elevated 5xx rate on checkout.\nDetected by automated monitoring; error budget burning at 14x.",
    "severity": "P1",
    "state": "INVESTIGATING",
    "incidentType": "AVAILABILITY",
    "source": "prometheus",
    "createdAt": "2026-11-27T17:22:01.762Z",
    "updatedAt": "2026-11-27T17:25:09.118Z",
    "resolvedAt": None,
    "assignedTo": "alice",
    "affectedResources": ["checkout", "payments", "api-gateway"],
    "labels": {"team": "payments", "region": "eu-west-1", "tier": "1"},
}
ID_TEMPLATE = "0becd7b0-3898-4190-b9eb-{:012d}"
BATCH = 256  # frames a write
SENT_MARK = -1.5  # stands for the send time in the pre-encoded frame; replaced per frame


UPDATE = {"updateType": "COMMENT_ADDED", "incidentId": INCIDENT["id"], "timestamp": "2026-11-27T17:25:09.118Z"}
STATE_CHANGE = {"incidentId": INCIDENT["id"], "oldState": "NEW", "newState": "INVESTIGATING", "changedBy": "alice",
                "timestamp": "2026-11-27T17:25:09.118Z"}
STREAMED = {"newIncidents": INCIDENT, "criticalIncidents": INCIDENT, "incidentUpdates": UPDATE,
            "incidentStateChanges": STATE_CHANGE}
ANSWERS = {"incidents": {"incidents": [INCIDENT], "pageInfo": {"totalCount": 1, "hasNextPage": False}},
           "incident": INCIDENT}
ROOT_FIELD = re.compile(r"\{\s*(\w+)")  # the first field of the operation's selection


def frame(op_id: str, *, stamped: bool = False, root: str = "newIncidents") -> str:
    value = dict(STREAMED[root], sentAt=SENT_MARK) if stamped else STREAMED[root]
    return json.dumps({"id": op_id, "type": "next", "payload": {"data": {root: value}}}, separators=(",", ":"))


def frames(op_id: str, count: int, *, stamped: bool, distinct: bool, root: str = "newIncidents"):
    """The frames to send, made as cheaply as possible: string replacement, no JSON per frame."""
    encoded = frame(op_id, stamped=stamped, root=root)
    for index in range(count):
        text = encoded.replace(INCIDENT["id"], ID_TEMPLATE.format(index)) if distinct else encoded
        yield text.replace(str(SENT_MARK), repr(time.time())) if stamped else text


async def send_all(ws, op_id: str, args: argparse.Namespace, root: str) -> None:
    stamped = args.rate is not None
    source = frames(op_id, args.count, stamped=stamped, distinct=args.distinct, root=root)
    if not stamped:
        # Whole WebSocket frames written straight to the socket, a batch at a time: the server is
        # never the bottleneck (websockets' send() per frame topped out near the clients' rates).
        batch: list[bytes] = []
        for text in source:
            batch.append(Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[]))
            if len(batch) == BATCH:
                ws.transport.write(b"".join(batch))
                batch.clear()
                await ws.drain()
        ws.transport.write(b"".join(batch))
        await ws.drain()
    else:
        start = time.monotonic()
        for index, text in enumerate(source):
            due = start + index / args.rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await ws.send(text)
    print(f"sent {args.count} {time.time():.6f}", flush=True)


async def handler(ws, args: argparse.Namespace) -> None:
    try:
        await serve_one(ws, args)
    except ConnectionClosed:
        pass  # the client left (--count reached, or ended by the harness)


async def serve_one(ws, args: argparse.Namespace) -> None:
    floods = set()  # sent beside the reading, as real servers do: pings are answered meanwhile
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "connection_init":
            await ws.send('{"type":"connection_ack"}')
        elif message["type"] == "ping":
            await ws.send('{"type":"pong"}')
        elif message["type"] == "subscribe":
            query = message["payload"]["query"]
            found = ROOT_FIELD.search(query)
            root = found.group(1) if found else ""
            if root in STREAMED:
                task = asyncio.create_task(flood(ws, message["id"], args, root))
                floods.add(task)
                task.add_done_callback(floods.discard)
            else:
                await answer(ws, message["id"], root, query, args)


async def answer(ws, op_id: str, root: str, query: str, args: argparse.Namespace) -> None:
    """A query's one answer, then complete; introspection refused unless --introspection."""
    if root == "__schema" and not args.introspection:
        refused = [{"message": "GraphQL introspection is not allowed by Apollo Server, but the query contained __schema"}]
        await ws.send(json.dumps({"id": op_id, "type": "error", "payload": refused}))
        return
    data = introspection(query) if root == "__schema" else {root: ANSWERS.get(root)}
    await ws.send(json.dumps({"id": op_id, "type": "next", "payload": {"data": data}}))
    await ws.send(json.dumps({"id": op_id, "type": "complete"}))


def introspection(query: str) -> dict:
    from graphql import build_schema, graphql_sync

    from incident_cli.demo.schema import sdl

    return graphql_sync(build_schema(sdl()), query).data or {}


async def flood(ws, op_id: str, args: argparse.Namespace, root: str) -> None:
    try:
        # A stream's events come after it is set up, as on a real server: the queries a client
        # sends beside its subscriptions (the list that starts gap repair) are answered first,
        # not queued behind a whole flood that was waiting for it.
        if args.start_after:
            await asyncio.sleep(args.start_after)
        await send_all(ws, op_id, args, root)
        if not args.hold:
            await ws.send(json.dumps({"id": op_id, "type": "complete"}))
    except ConnectionClosed:
        pass


async def main(args: argparse.Namespace) -> None:
    async with serve(lambda ws: handler(ws, args), "127.0.0.1", args.port,
                     subprotocols=["graphql-transport-ws"], compression=None, max_queue=None) as server:
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.flood")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=None, help="frames a second, stamped; default: flat out")
    parser.add_argument("--distinct", action="store_true", help="a new incident id in every frame")
    parser.add_argument("--hold", action="store_true", help="never complete the operation")
    parser.add_argument("--start-after", type=float, default=0.0, help="seconds between a subscribe and its first frame")
    parser.add_argument("--introspection", action="store_true", help="answer introspection (refused by default)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
