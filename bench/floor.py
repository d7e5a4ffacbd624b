"""The floor of our stack: a minimal websockets loop printing payload.data, one line each.

Usage: python -m bench.floor URL [stdlib|orjson]
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.client import connect

QUERY = "subscription { newIncidents { id title severity state } }"


async def main(url: str, codec: str) -> None:
    if codec == "orjson":
        import orjson

        loads, dumps = orjson.loads, lambda value: orjson.dumps(value).decode()
    else:
        loads, dumps = json.loads, lambda value: json.dumps(value, separators=(",", ":"))
    out = sys.stdout
    async with connect(url, subprotocols=["graphql-transport-ws"], compression=None, max_queue=None) as ws:
        await ws.send('{"type":"connection_init"}')
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))
        async for raw in ws:
            message = loads(raw)
            if message["type"] == "complete":
                break
            out.write(dumps(message["payload"]["data"]) + "\n")
            out.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "stdlib"))
