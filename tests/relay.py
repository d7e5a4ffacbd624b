"""A small TCP relay on loopback that misbehaves on demand (RELIABILITY.md section 5).

Modes: ``pass`` forwards both ways; ``blackhole`` keeps every socket open but forwards
nothing (a dead NAT entry, a half-open connection); ``reset`` aborts every connection with
an RST; ``latency`` delays each chunk. ``close_after`` (seconds, any mode) ends each
connection with a FIN after that long, like a load balancer's lifetime cap. New
connections follow the current mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct


class Relay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.latency = 0.0
        self.close_after: float | None = None
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> Relay:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/graphql/ws"

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "reset":
            for pair in self._pairs:
                for writer in pair:
                    _reset(writer)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for pair in self._pairs:
            for writer in pair:
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "reset":
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pairs.append((writer, up_writer))
        pumps = [self._pump(reader, up_writer), self._pump(up_reader, writer)]
        if self.close_after is not None:
            pumps.append(self._expire(writer, up_writer, self.close_after))
        for pump in pumps:
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _expire(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter, after: float) -> None:
        await asyncio.sleep(after)
        for writer in (client, upstream):
            with contextlib.suppress(Exception):
                writer.close()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while chunk := await source.read(65536):
                if self.mode == "blackhole":
                    continue  # swallowed: both ends keep waiting
                if self.mode == "latency":
                    await asyncio.sleep(self.latency)
                sink.write(chunk)
                await sink.drain()
        with contextlib.suppress(Exception):
            if self.mode != "blackhole":
                sink.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
