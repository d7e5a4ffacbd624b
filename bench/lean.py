"""The second floor: websockets' sans-I/O ClientProtocol on a bare asyncio.Protocol, with orjson.

Usage: python -m bench.lean URL

No stream reader, no message assembler, no future per message: each data_received feeds the
protocol, and the batch of messages it completed is written to stdout with one os.write.
What a client could reach if it did nothing but print payload.data (issue 16's second floor).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

QUERY = "subscription { newIncidents { id title severity state } }"


class Lean(asyncio.Protocol):
    query = QUERY

    def __init__(self, url: str, done: asyncio.Future[None]) -> None:
        self.ws = ClientProtocol(parse_uri(url), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        self.done = done
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.ws.send_request(self.ws.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        out = []
        for event in self.ws.events_received():
            if isinstance(event, Response):
                self.ws.send_text(b'{"type":"connection_init"}')
                continue
            if event.opcode is not Opcode.TEXT:
                continue
            message = orjson.loads(event.data)
            kind = message["type"]
            if kind == "connection_ack":
                self.ws.send_text(orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": self.query}}))
            elif kind == "next":
                self.result(event.data, message, out)
            elif kind == "complete":
                self.ws.send_close(1000)
                if not self.done.done():
                    self.done.set_result(None)
        if out:
            out.append(b"")
            os.write(1, b"\n".join(out))
        self.flush()

    def result(self, raw: bytes, message: dict[str, Any], out: list[bytes]) -> None:
        """One `next` message (``raw`` as read, ``message`` parsed): its line, if any, onto ``out``."""
        out.append(orjson.dumps(message["payload"]["data"]))

    def flush(self) -> None:
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self.transport.write_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def main(url: str, client: type[Lean] = Lean) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    parts = urlsplit(url)
    transport, _ = await loop.create_connection(lambda: client(url, done), parts.hostname, parts.port)
    await done
    transport.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
