"""A flood server: graphql-transport-ws with pre-encoded frames, so it is never the bottleneck.

Usage: python -m bench.flood [--port P] [--count N] [--rate R] [--distinct] [--hold]

On each subscribe it sends N `next` frames (an incident of about 590 bytes), as fast as
it can or R a second on an absolute schedule, then `complete`. Paced frames carry their
send time (``sentAt``, epoch seconds) for latency. ``--distinct`` gives every frame its own
incident id (memory over many incidents); ``--hold`` keeps the operation open afterwards
(idle CPU, restarts). It prints ``listening PORT`` once bound and ``sent N AT`` when done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

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
SENT_MARK = -1.5  # stands for the send time in the pre-encoded frame; replaced per frame


def frame(op_id: str, *, stamped: bool = False) -> str:
    incident = dict(INCIDENT, sentAt=SENT_MARK) if stamped else INCIDENT
    return json.dumps({"id": op_id, "type": "next", "payload": {"data": {"newIncidents": incident}}}, separators=(",", ":"))


def frames(op_id: str, count: int, *, stamped: bool, distinct: bool):
    """The frames to send, made as cheaply as possible: string replacement, no JSON per frame."""
    encoded = frame(op_id, stamped=stamped)
    for index in range(count):
        text = encoded.replace(INCIDENT["id"], ID_TEMPLATE.format(index)) if distinct else encoded
        yield text.replace(str(SENT_MARK), repr(time.time())) if stamped else text


async def send_all(ws, op_id: str, args: argparse.Namespace) -> None:
    stamped = args.rate is not None
    source = frames(op_id, args.count, stamped=stamped, distinct=args.distinct)
    if not stamped:
        for text in source:
            await ws.send(text)
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
            task = asyncio.create_task(flood(ws, message["id"], args))
            floods.add(task)
            task.add_done_callback(floods.discard)


async def flood(ws, op_id: str, args: argparse.Namespace) -> None:
    try:
        await send_all(ws, op_id, args)
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
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
