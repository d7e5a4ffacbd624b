"""A scripted WebSocket peer for cases the demo server will not produce on purpose.

Each test passes a handler coroutine that plays the server's side frame by frame.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

Handler = Callable[[ServerConnection], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted_server(
    handler: Handler, *, subprotocols: Sequence[str] | None = ("graphql-transport-ws", "graphql-ws"), **kwargs: Any
) -> AsyncIterator[str]:
    async def guarded(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            await handler(ws)

    options: dict[str, Any] = {"subprotocols": list(subprotocols)} if subprotocols else {}
    if subprotocols == ():
        options["select_subprotocol"] = lambda _conn, _offered: None
    options.update(kwargs)
    async with serve(guarded, "127.0.0.1", 0, **options) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/graphql/ws"


async def receive_json(ws: ServerConnection) -> dict[str, Any]:
    return json.loads(await ws.recv())


async def handshake(ws: ServerConnection) -> list[dict[str, Any]]:
    """Read the init, ack it, and return the subscribe messages that follow (up to 3)."""
    init = await receive_json(ws)
    assert init["type"] == "connection_init"
    await ws.send(json.dumps({"type": "connection_ack"}))
    return [await receive_json(ws)]


def next_frame(op_id: str, data: Any, **extra: Any) -> str:
    return json.dumps({"id": op_id, "type": "next", "payload": {"data": data, **extra}})
