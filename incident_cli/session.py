"""The asyncio driver: websockets underneath, the protocol core in the middle, model events out.

One supervisor task owns the connection: it connects (offering both subprotocols), runs
a fresh ClientProtocol per socket, enforces the ack timeout, subscribes, reads, and on a
retryable disconnect waits out the backoff and does it all again. Consumers read model
events from ``events()`` and may run one-shot queries over the same socket with
``query()``. Foreign exceptions become errors.py types here, once. Nothing here writes to
stdout or stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from incident_cli import model
from incident_cli import protocol as p
from incident_cli.auth import Token, init_payload
from incident_cli.backoff import BackoffPolicy
from incident_cli.errors import (
    AuthError,
    ClientBug,
    Disconnected,
    IncidentsError,
    OperationRejected,
    ProtocolMismatch,
    Unavailable,
)
from incident_cli.messages import Dialect
from incident_cli.operations import Operation
from incident_cli.sanitize import sanitize
from incident_cli.transport import describe_close, open_connection

CLOSE_DEADLINE = 2.0  # every shutdown step is bounded (RELIABILITY.md (a) 19)
# Keepalive, both WebSocket-level (websockets) and GraphQL ping/pong: a half-open
# connection is noticed within PING_INTERVAL + PING_TIMEOUT (+ CLOSE_DEADLINE) = ~27 s.
PING_INTERVAL = 15.0
PING_TIMEOUT = 10.0
HEARTBEAT_TIMEOUT = 20.0  # once HEARTBEATs flow (every 5 s), this long without a frame is dead
KEEPALIVE_TIMEOUT = 30.0  # legacy `ka`: the Apollo client's default


@dataclass(frozen=True, kw_only=True)
class SessionConfig:
    url: str
    token: Token | None = None
    dialect: Dialect | None = None  # None: offer both, follow the server
    ack_timeout: float = 10.0
    open_timeout: float = 10.0
    close_timeout: float = CLOSE_DEADLINE
    ping_interval: float | None = PING_INTERVAL
    ping_timeout: float | None = PING_TIMEOUT
    max_size: int = 4 * 1024 * 1024
    max_retries: int | None = None
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT
    keepalive_timeout: float = KEEPALIVE_TIMEOUT


class _Finished(Exception):
    """Every operation ended: the session is over."""


_END = object()


class Session:
    """A subscription session that survives disconnects. Use as ``async with``."""

    def __init__(
        self,
        config: SessionConfig,
        operations: list[Operation],
        *,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._wanted: list[Operation] = list(operations)  # ops the server has not ended yet
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self._sleep = sleep
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._proto: p.ClientProtocol | None = None
        self._ids: dict[str, Operation] = {}
        self._queries: dict[str, asyncio.Future[Any]] = {}
        self._ready = asyncio.Event()
        self._stopping = False
        self._pending: IncidentsError | None = None  # how this socket ends, raised once it is closed
        self._acknowledged = False  # the current connection got its ack
        self._down_since: float | None = None  # monotonic time a live connection was lost
        self._last_inbound = 0.0
        self._liveness: str | None = None  # what inbound traffic we can count on: "heartbeat", "ka"
        self._ping_sent: float | None = None
        self._offer = config.dialect  # what we offer; auto may fall back to legacy once
        self._frames = 0  # frames received on the current socket
        self.connections = 0  # attempts made, for status and tests

    # ---- public API ------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        self._task = asyncio.create_task(self._supervise(), name="incidents-session")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        # A normal end says 1000; leaving because of a signal or an error says 1001, going away.
        await self.stop(1000 if exc_type is None else 1001, "" if exc_type is None else "client going away")

    async def events(self) -> AsyncIterator[model.Event]:
        """Model events until every operation has ended; raises the fatal error, if any."""
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)  # later readers see the end too
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def query(self, operation: Operation, *, timeout: float = 10.0) -> Any:
        """Run a query on the live connection and return its ``data``."""
        try:
            async with asyncio.timeout(timeout):
                await self._until_ready()
                proto = self._proto
                if proto is None or proto.state is not p.State.READY:
                    raise Unavailable(f"the connection was lost before the {operation.label} query was sent")
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                op_id = proto.send_subscribe(operation.document, operation.variables, operation.operation_name)
                self._queries[op_id] = future
                await self._flush()
                return await future
        except TimeoutError:
            raise Unavailable(f"the {operation.label} query got no answer within {timeout:g} s") from None

    async def _until_ready(self) -> None:
        """Wait for a live, acknowledged connection; fail at once if the session is over."""
        task = self._task
        if task is None or task.done():
            raise Unavailable("the session is not running")
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait((ready, task), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if not self._ready.is_set():
            raise Unavailable("the session ended")

    async def stop(self, code: int = 1000, reason: str = "") -> None:
        """Complete every operation and close with ``code``, within a deadline."""
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        if self._proto is not None and self._ws is not None:
            self._proto.close(code, reason)
            try:
                async with asyncio.timeout(self._config.close_timeout):
                    await self._flush()
                    await asyncio.shield(task)  # the reader sees the close and ends
            except (TimeoutError, ConnectionClosed, OSError):
                pass
        if not task.done():  # between connections, or the close did not finish in time
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    # ---- supervisor --------------------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 1
        try:
            while True:
                started = self._monotonic()
                try:
                    await self._run_connection(attempt)
                except Disconnected as retry:
                    if self._stopping:
                        break
                    if self._acknowledged and self._down_since is None:
                        self._down_since = self._monotonic()
                    uptime = self._monotonic() - started
                    if not retry.immediate:  # a protocol fallback is not a failed attempt
                        attempt = self._config.backoff.next_attempt(
                            attempt, acknowledged=self._acknowledged, uptime=uptime
                        )
                    retries = attempt - 1
                    if self._config.max_retries is not None and retries > self._config.max_retries:
                        raise Unavailable(
                            f"gave up after {self.connections} connection attempts: {retry.message}"
                        ) from None
                    delay = 0.0 if retry.immediate else self._config.backoff.delay(
                        retries, rng=self._rng, rate_limited=retry.rate_limited, retry_after=retry.retry_after
                    )
                    self._queue.put_nowait(model.Reconnecting(reason=retry.message, attempt=attempt, delay=delay))
                    await self._sleep(delay)
                    continue
                break
        except _Finished:
            pass
        except IncidentsError as error:
            self._queue.put_nowait(error)
        except asyncio.CancelledError:
            raise
        except Exception as bug:  # noqa: BLE001 - never leave the consumer waiting on a dead session
            self._queue.put_nowait(bug)
        finally:
            self._fail_queries(Unavailable("the session ended before the query was answered"))
        self._queue.put_nowait(_END)

    async def _run_connection(self, attempt: int) -> None:
        """One socket from open to close; always ends by raising (Disconnected, _Finished, fatal)."""
        self.connections += 1
        self._acknowledged = False
        self._pending = None
        self._liveness = None
        self._ping_sent = None
        self._frames = 0
        self._ready.clear()
        ws = await open_connection(self._config, self._offer)
        self._ws = ws
        try:
            dialect = self._negotiated(ws)
            proto = p.ClientProtocol(dialect)  # house rule 2: one protocol object per socket
            self._proto = proto
            self._ids = {}
            proto.send_init(init_payload(self._config.token))
            await self._flush()
            await self._await_ack(ws, proto)
            self._acknowledged = True
            for operation in self._wanted:
                op_id = proto.send_subscribe(operation.document, operation.variables, operation.operation_name)
                self._ids[op_id] = operation
            await self._flush()
            self._ready.set()
            downtime = None if self._down_since is None else self._monotonic() - self._down_since
            self._down_since = None
            self._queue.put_nowait(
                model.Connected(server=self._config.url, subprotocol=dialect.value, attempt=attempt, downtime=downtime)
            )
            watchdog = asyncio.create_task(self._watch_liveness(ws, proto), name="incidents-liveness")
            try:
                while True:
                    await self._read_one(ws, proto)
            finally:
                watchdog.cancel()
                await asyncio.gather(watchdog, return_exceptions=True)
        finally:
            self._ready.clear()
            self._proto = None
            self._ws = None
            self._fail_queries(Unavailable("the connection was lost before the query was answered"))
            await self._abandon(ws)

    def _negotiated(self, ws: ClientConnection) -> Dialect:
        if ws.subprotocol is None:
            raise ProtocolMismatch(
                "the server selected no subprotocol: it speaks neither graphql-transport-ws nor graphql-ws"
            )
        return Dialect(ws.subprotocol)  # websockets refuses values we did not offer

    async def _await_ack(self, ws: ClientConnection, proto: p.ClientProtocol) -> None:
        try:
            async with asyncio.timeout(self._config.ack_timeout):
                while proto.state is p.State.INITIALISING:
                    await self._read_one(ws, proto)
        except TimeoutError:
            proto.close(p.OUR_ACK_TIMEOUT, "Connection acknowledgement timeout")
            await self._flush()
            raise Disconnected(f"no connection_ack within {self._config.ack_timeout:g} s") from None

    async def _read_one(self, ws: ClientConnection, proto: p.ClientProtocol) -> None:
        try:
            frame = await ws.recv()
        except ConnectionClosed as closed:
            self._closed(proto, closed)
        else:
            self._last_inbound = self._monotonic()
            self._frames += 1
            if isinstance(frame, str):
                proto.receive_text(frame)
            else:
                proto.receive_binary(frame)
        self._dispatch(proto)
        await self._flush()
        if self._pending is not None and not isinstance(self._pending, Disconnected):
            raise self._pending  # fatal: the close has been sent

    def _closed(self, proto: p.ClientProtocol, closed: ConnectionClosed) -> None:
        if closed.rcvd is not None:
            proto.receive_close(closed.rcvd.code, closed.rcvd.reason)
        elif closed.sent is not None and closed.sent.code == 1009:
            # Our own max_size tripped. With compression the size is not known: only that it was over.
            size = getattr(closed.__cause__, "size", None)
            proto.receive_close(1009, f"{size:,} bytes" if size else "")
        else:
            proto.receive_close(None, "")

    def _dispatch(self, proto: p.ClientProtocol) -> None:
        received_at = datetime.now(timezone.utc)
        for event in proto.events_received():
            match event:
                case p.Data(id=op_id, payload=payload):
                    self._on_data(op_id, payload, received_at)
                case p.OperationFailed(id=op_id, errors=errors):
                    self._on_end(op_id, model.error_messages(list(errors)))
                case p.Completed(id=op_id):
                    self._on_end(op_id, ())
                case p.Rejected(payload=payload):
                    detail = "; ".join(model.error_messages(payload)) or "no reason given"
                    raise AuthError(f"the server refused the connection: {sanitize(detail)}")
                case p.Alive():
                    if self._liveness is None and proto.dialect is Dialect.LEGACY:
                        self._liveness = "ka"
                    self._ping_sent = None
                case p.Violation(reason=reason):
                    self._stopping = True
                    self._pending = ProtocolMismatch(
                        f"the server sent an invalid message ({sanitize(reason)}); closed with 4400"
                    )
                case p.Closed(code=code, reason=reason, verdict=verdict):
                    self._on_close(proto, code, reason, verdict)

    def _on_data(self, op_id: str, payload: dict[str, Any], received_at: datetime) -> None:
        future = self._queries.get(op_id)
        errors = payload.get("errors")
        if errors and "data" not in payload:
            # A request error: the operation never ran (GraphQL spec, "Response Format"). Apollo's
            # legacy server and async-graphql send validation errors this way, not as `error`.
            if self._proto is not None:
                self._proto.send_complete(op_id)
            self._on_end(op_id, model.error_messages(errors))
            return
        if future is not None:
            if not future.done():
                if payload.get("data") is None and errors:
                    future.set_exception(OperationRejected(_joined(model.error_messages(errors))))
                else:
                    future.set_result(payload.get("data"))
            return
        operation = self._ids[op_id]
        if errors:  # (a) 17: errors beside data do not end the stream; [] is no error
            self._queue.put_nowait(
                model.ServerWarning(subscription=operation.label, messages=model.error_messages(errors))
            )
        data = payload.get("data")
        if data is not None:
            event = model.stream_event(operation.label, data, received_at)
            if isinstance(event, model.Heartbeat):
                self._liveness = "heartbeat"  # from now on, silence means trouble
            self._queue.put_nowait(event)

    def _on_end(self, op_id: str, errors: tuple[str, ...]) -> None:
        future = self._queries.pop(op_id, None)
        if future is not None:
            if not future.done():
                if errors:
                    future.set_exception(OperationRejected(_joined(errors)))
                else:
                    future.set_result(None)
            return
        operation = self._ids.pop(op_id)
        if operation in self._wanted:
            self._wanted.remove(operation)
        self._queue.put_nowait(model.OperationEnded(subscription=operation.label, errors=errors))
        if not self._wanted and self._proto is not None:
            self._stopping = True
            self._proto.close(1000)

    def _on_close(self, proto: p.ClientProtocol, code: int | None, reason: str, verdict: p.Verdict) -> None:
        if self._pending is not None:
            raise self._pending
        if self._stopping or not self._wanted:
            raise _Finished()
        described = describe_close(code, reason)
        if code in (1002, 4406) and self._offer is None and self._frames == 0 and proto.dialect is Dialect.TRANSPORT_WS:
            # PROTOCOL.md (b) 4: a legacy-only server (Apollo's) takes the client's first offer
            # and then closes 1002. Offer only the legacy protocol, once, at once.
            self._offer = Dialect.LEGACY
            raise Disconnected(f"the server refused graphql-transport-ws ({described}); trying graphql-ws", immediate=True)
        if verdict.action is p.Action.DONE:
            raise _Finished()
        if verdict.action is p.Action.RETRY:
            if verdict.cause is p.Cause.TOO_BIG:
                size = f" of {sanitize(reason, max_length=40)}" if reason else ""
                described = (
                    f"a message{size} was over the {self._config.max_size:,} byte limit (1009); "
                    "--max-message-size raises it"
                )
            raise Disconnected(described, rate_limited=verdict.cause is p.Cause.RATE_LIMITED)
        raise _fatal(verdict.cause, code, described)

    # ---- liveness ----------------------------------------------------------------------

    async def _watch_liveness(self, ws: ClientConnection, proto: p.ClientProtocol) -> None:
        """GraphQL ping/pong with a deadline, and silence watchdogs for heartbeats and `ka`.

        websockets' own keepalive runs underneath; this also catches a server whose
        WebSocket layer answers while its GraphQL layer is stuck.
        """
        config = self._config
        interval = config.ping_interval
        tick = min(1.0, config.heartbeat_timeout / 4, config.keepalive_timeout / 4, *([interval / 4] if interval else []))
        next_ping = self._monotonic() + interval if interval else None
        while True:
            await asyncio.sleep(tick)
            now = self._monotonic()
            silence = now - self._last_inbound
            reason = None
            if self._ping_sent is not None and config.ping_timeout and now - self._ping_sent > config.ping_timeout:
                reason = f"no pong within {config.ping_timeout:g} s"
            elif self._liveness == "heartbeat" and silence > config.heartbeat_timeout:
                reason = f"no heartbeat or other message for {silence:.0f} s"
            elif self._liveness == "ka" and silence > config.keepalive_timeout:
                reason = f"no keep-alive from the server for {silence:.0f} s"
            if reason is not None:
                self._pending = Disconnected(f"the connection went silent: {reason}")
                proto.close(p.OUR_LIVENESS_TIMEOUT, "liveness timeout")
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(0.2):
                        await self._flush()
                ws.transport.abort()  # a half-open socket would not complete a close handshake
                return
            if next_ping is not None and now >= next_ping and proto.dialect is Dialect.TRANSPORT_WS:
                if self._ping_sent is None:
                    self._ping_sent = now
                    proto.send_ping()
                    await self._flush()
                next_ping = now + interval

    # ---- plumbing ----------------------------------------------------------------------

    async def _flush(self) -> None:
        proto, ws = self._proto, self._ws
        if proto is None or ws is None:
            return
        try:
            for frame in proto.data_to_send():
                await ws.send(frame)
            request = proto.close_to_send()
            if request is not None:
                await ws.close(request.code, request.reason)
        except ConnectionClosed:
            pass  # the reader's next recv() reports how the socket closed

    async def _abandon(self, ws: ClientConnection) -> None:
        """Close what is left of a socket, bounded; never let teardown raise."""
        try:
            async with asyncio.timeout(self._config.close_timeout):
                await ws.close()
        except Exception:  # noqa: BLE001 - teardown must not mask the real outcome
            ws.transport.abort()

    def _fail_queries(self, error: IncidentsError) -> None:
        for future in self._queries.values():
            if not future.done():
                future.set_exception(error)
        self._queries.clear()


def _joined(messages: tuple[str, ...]) -> str:
    return "; ".join(sanitize(message) for message in messages) or "the server reported an error"


def _fatal(cause: p.Cause, code: int | None, described: str) -> IncidentsError:
    if cause is p.Cause.AUTH:
        return AuthError(f"the server rejected the credentials: {described}")
    if cause is p.Cause.CLIENT_BUG:
        return ClientBug(f"the server says our messages are invalid: {described}")
    if cause is p.Cause.REJECTED:
        return OperationRejected(f"the server rejected the operation: {described}")
    return ProtocolMismatch(f"the server ended the connection: {described}")
