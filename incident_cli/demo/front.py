"""One public port for both ways of asking the demo server: WebSocket and HTTP.

Real incident servers answer queries at ``POST /graphql`` on the host and port of the
WebSocket endpoint (API.md). websockets' server reads bodiless GET upgrades only, so when
the demo serves HTTP queries it listens here instead: a ``POST`` is answered on the spot,
and every other connection is relayed byte for byte to the WebSocket server on a private
loopback port. Only the demo uses this; it never imports the client layers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024
READ_TIMEOUT = 5.0
RELAY_CHUNK = 64 * 1024

# (method, path, headers with lower-case names, body) -> (status line, JSON body)
Answer = Callable[[str, str, dict[str, str], bytes], Awaitable[tuple[str, Any]]]


class FrontDoor:
    def __init__(self, host: str, port: int, *, upstream_port: int, answer: Answer, ssl_context: ssl.SSLContext | None) -> None:
        self._host, self._port = host, port
        self._upstream_port = upstream_port
        self._answer = answer
        self._ssl = ssl_context
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.http_requests = 0  # answered here, for tests

    async def start(self) -> FrontDoor:
        self._server = await asyncio.start_server(self._accept, self._host, self._port, ssl=self._ssl, limit=MAX_HEAD)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"POST "):
                await self._http(head, reader, writer)
            else:
                await self._relay(head, reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): the outermost frame of this connection's task, which ends here anyway
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _http(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            status, body = "413 Payload Too Large", {"errors": [{"message": "request too large"}]}
        else:
            async with asyncio.timeout(READ_TIMEOUT):
                payload = await reader.readexactly(length) if length else b""
            self.http_requests += 1
            status, body = await self._answer(method, path.split("?")[0], headers, payload)
        data = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n".encode() + data
        )
        await writer.drain()

    async def _relay(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        upstream_writer.write(head)
        try:
            await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))
        finally:
            with contextlib.suppress(Exception):
                upstream_writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(RELAY_CHUNK):
            sink.write(chunk)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        # An abrupt drop upstream (a fault knob's 1006) is an abrupt drop here too.
        with contextlib.suppress(Exception):
            if sink.can_write_eof():
                sink.write_eof()
            else:
                sink.close()
