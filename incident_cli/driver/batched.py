"""websockets' client connection, read a batch at a time (issue 16).

websockets keeps everything it does well: the handshake (proxies, redirects, TLS), framing,
masking, pings, pongs and keepalive, the close handshake and its deadline, max_size. Only the
last step of its reader is replaced: instead of a message assembler, a future per message
and a UTF-8 decode to ``str`` (orjson reads the bytes, and checks them), every message one
``data_received`` completed is kept in a list, and the reader takes the whole list at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

PAUSE_AT = 4096  # messages waiting: stop reading the socket until the reader takes them


class Binary(bytes):
    """A binary message (the GraphQL protocols have none: the core refuses it)."""


class BatchedConnection(ClientConnection):
    """A ClientConnection whose messages are read with ``receive()``: a list, oldest first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._messages: list[bytes] = []
        self._fragments: list[bytes] = []  # a message split over frames, until its last one
        self._binary = False
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def process_event(self, event: Event) -> None:
        if type(event) is Frame and self.response is not None:
            opcode = event.opcode
            if opcode is Opcode.TEXT and event.fin and not self._fragments:
                self._messages.append(event.data if type(event.data) is bytes else bytes(event.data))  # nearly all
                return
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY or opcode is Opcode.CONT:
                self._take(event)
                return
        super().process_event(event)  # the handshake's response; a pong for keepalive (websockets answers pings)

    def _take(self, frame: Frame) -> None:
        if frame.opcode is not Opcode.CONT:
            self._binary = frame.opcode is Opcode.BINARY
            if frame.fin:
                data = bytes(frame.data)
                self._messages.append(Binary(data) if self._binary else data)
                return
        self._fragments.append(bytes(frame.data))
        if frame.fin:
            data = b"".join(self._fragments)
            self._fragments.clear()
            self._messages.append(Binary(data) if self._binary else data)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # parses frames into process_event, answers pings
        if self._messages:
            self._wake()
            if len(self._messages) >= PAUSE_AT and not self._paused:
                self._paused = True
                self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> list[bytes]:
        """Every message read since the last call (at least one); ConnectionClosed once none is left."""
        while not self._messages:
            if self.connection_lost_waiter.done():
                raise self.close_exc
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        messages, self._messages = self._messages, []
        if self._paused:
            self._paused = False
            self.transport.resume_reading()
        return messages
