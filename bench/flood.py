"""A flood server: graphql-transport-ws with pre-encoded frames, so it is never the bottleneck.

Usage: python -m bench.flood PORT COUNT [RATE]. On subscribe it sends COUNT `next`
frames (an incident of about 590 bytes each) as fast as it can, or RATE a second with the
send time stamped in the payload for latency, then `complete`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.server import serve

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


def frame(op_id: str, sent: float | None = None) -> str:
    incident = dict(INCIDENT, sentAt=sent) if sent is not None else INCIDENT
    return json.dumps({"id": op_id, "type": "next", "payload": {"data": {"newIncidents": incident}}}, separators=(",", ":"))


async def handler(ws, count: int, rate: float | None) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "connection_init":
            await ws.send('{"type":"connection_ack"}')
        elif message["type"] == "ping":
            await ws.send('{"type":"pong"}')
        elif message["type"] == "subscribe":
            op_id = message["id"]
            if rate:
                for _ in range(count):
                    await ws.send(frame(op_id, time.time()))
                    await asyncio.sleep(1 / rate)
            else:
                encoded = frame(op_id)
                for _ in range(count):
                    await ws.send(encoded)
            await ws.send(json.dumps({"id": op_id, "type": "complete"}))


async def main(port: int, count: int, rate: float | None) -> None:
    async with serve(lambda ws: handler(ws, count, rate), "127.0.0.1", port,
                     subprotocols=["graphql-transport-ws"], compression=None, max_queue=None) as server:
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else None))
