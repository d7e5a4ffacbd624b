"""One socket, from open to close: handshake, subscriptions, reading, liveness.

Everything that belongs to a single socket lives here and dies with it (house rule 2: a
fresh ClientProtocol per socket), so the session can hold two at once when it moves to a
new connection with fresh credentials. It reports through two callbacks and ends by
raising: Disconnected (retry), Finished (over), or a fatal errors.py type.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from incident_cli import model, operation_errors
from incident_cli import protocol as p
from incident_cli.auth import Token, init_payload
from incident_cli.driver.batched import BatchedConnection
from incident_cli.driver.delivery import Delivery, Ended
from incident_cli.driver.inbox import Inbox
from incident_cli.driver.transport import close_error, describe_close, open_connection, same_origin, server_date
from incident_cli.errors import (
    AuthError,
    ConfigError,
    Disconnected,
    IncidentsError,
    OperationRejected,
    ProtocolMismatch,
    Unavailable,
)
from incident_cli.liveness import Liveness
from incident_cli.messages import Dialect, Next
from incident_cli.operations import Operation
from incident_cli.sanitize import sanitize

if TYPE_CHECKING:
    from incident_cli.driver.options import SessionConfig

STAMP_RESOLUTION = 0.001  # seconds: frames read closer together than this share a received_at


class Finished(Exception):
    """This socket's work is over: every operation ended, or we closed it on purpose."""


_SERIALS = itertools.count(1)  # connection numbers, for what travels up from them


class Connection:
    def __init__(
        self,
        config: SessionConfig,
        *,
        token: Token | None,
        offer: Dialect | None,
        delivery: Delivery,
        control: Inbox[Ended],
        monotonic: Callable[[], float],
    ) -> None:
        self.config = config
        self.serial = next(_SERIALS)  # how what it reports names it
        self.token = token
        self.offer = offer
        self._delivery = delivery  # what it reads goes down here, to the consumer...
        self._control = control  # ...and an operation's end here, to the supervisor
        self._monotonic = monotonic
        self.ws: BatchedConnection | None = None
        self.proto: p.ClientProtocol | None = None
        self.ids: dict[str, Operation] = {}
        self.queries: dict[str, asyncio.Future[Any]] = {}
        self._pending: IncidentsError | None = None  # how this socket ends, raised once it is closed
        self._acknowledged = False
        self.closing = False  # we closed it: a close is the end, not a disconnect
        self.frames = 0
        self.liveness = Liveness(config.deadlines(), monotonic())
        self._heartbeats = False  # a heartbeat was seen: the liveness expects them now
        self._received: tuple[float, datetime | None] = (float("-inf"), None)  # (monotonic, wall clock) of the last stamp
        self.server_time: float | None = None  # the handshake's Date header, for clock skew

    @property
    def dialect(self) -> Dialect:
        assert self.proto is not None
        return self.proto.dialect

    @property
    def acknowledged(self) -> bool:
        """The server acknowledged connection_init on this socket."""
        return self._acknowledged

    @property
    def last_message_at(self) -> float | None:
        """When the last frame arrived, on the wall clock (seconds since the epoch), if any did."""
        stamp = self._received[1]
        return stamp.timestamp() if stamp is not None else None

    @property
    def ready(self) -> bool:
        return self.proto is not None and self.proto.state is p.State.READY and not self.closing

    # ---- opening ---------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, initialise and wait for the ack."""
        self.ws = await open_connection(self.config, self.offer, self.token)
        try:
            if self.ws.subprotocol is None:
                raise ProtocolMismatch(
                    "the server selected no subprotocol: it speaks neither graphql-transport-ws nor graphql-ws"
                )
            if self.token is not None and not same_origin(self.config.url, self.ws):
                # websockets drops the Authorization header on a cross-origin redirect; the
                # init payload would still carry the token there (RELIABILITY.md (c)).
                host = self.ws.request.headers.get("Host", "?") if self.ws.request is not None else "?"
                raise ConfigError(f"the server redirected to another origin ({sanitize(host)}); not sending the token there")
            self.server_time = server_date(self.ws)
            self.proto = p.ClientProtocol(Dialect(self.ws.subprotocol))  # websockets refuses unoffered values
            self.proto.send_init(init_payload(self.token))
            await self.flush()
            await self._await_ack()
            self._acknowledged = True
        except BaseException:
            await self.abandon()
            raise

    async def subscribe_all(self, operations: list[Operation]) -> None:
        for operation in operations:
            self.subscribe(operation)
        await self.flush()

    async def round_trip(self) -> bool:
        """A GraphQL ping answered by a pong (modern protocol only); False where there is none."""
        assert self.proto is not None
        if self.proto.dialect is not Dialect.TRANSPORT_WS:
            return False
        self.liveness.pinged(self._monotonic())
        self.proto.send_ping({"check": True})
        await self.flush()
        async with asyncio.timeout(self.config.ack_timeout):
            while self.liveness.ping_sent is not None:
                await self.read_one()
        return True

    async def ask(self, operation: Operation) -> Any:
        """A query answered before anything is subscribed: read inline until it is."""
        assert self.proto is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        op_id = self.proto.send_subscribe(operation.document, operation.variables, operation.operation_name)
        self.queries[op_id] = future
        await self.flush()
        try:
            async with asyncio.timeout(self.config.ack_timeout):
                while not future.done():
                    await self.read_one()
        except TimeoutError:
            raise Disconnected(f"no answer to the {operation.label} query within {self.config.ack_timeout:g} s") from None
        return future.result()

    def subscribe(self, operation: Operation) -> None:
        assert self.proto is not None
        op_id = self.proto.send_subscribe(operation.document, operation.variables, operation.operation_name)
        self.ids[op_id] = operation

    async def _await_ack(self) -> None:
        assert self.proto is not None
        try:
            async with asyncio.timeout(self.config.ack_timeout):
                while self.proto.state is p.State.INITIALISING:
                    await self.read_one()
        except TimeoutError:
            self.proto.close(p.OUR_ACK_TIMEOUT, "Connection acknowledgement timeout")
            await self.flush()
            raise Disconnected(f"no connection_ack within {self.config.ack_timeout:g} s") from None
        if self._pending is not None:
            raise self._pending  # e.g. a message before the ack: the 4400 close has been sent

    # ---- running ---------------------------------------------------------------------

    async def run(self) -> None:
        """Read until the socket closes; then raise how it ended."""
        watchdog = asyncio.create_task(self._watch_liveness(), name="incidents-liveness")
        try:
            while True:
                await self.read_one()
        finally:
            watchdog.cancel()
            await asyncio.gather(watchdog, return_exceptions=True)
            self.fail_queries(Unavailable("the connection was lost before the query was answered"))
            await self.abandon()

    async def query(self, operation: Operation) -> Any:
        if not self.ready:
            raise Unavailable(f"the connection was lost before the {operation.label} query was sent")
        assert self.proto is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        op_id = self.proto.send_subscribe(operation.document, operation.variables, operation.operation_name)
        self.queries[op_id] = future
        await self.flush()
        return await future

    def end_with(self, error: IncidentsError) -> None:
        """Close (completing every operation) and end with ``error`` (sent by the next flush)."""
        self._pending = error
        self.request_close(1000)

    def request_close(self, code: int = 1000, reason: str = "") -> None:
        """Complete every operation and close (sent by the next flush)."""
        self.closing = True
        if self.proto is not None:
            self.proto.close(code, reason)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.request_close(code, reason)
        await self.flush()

    async def read_one(self) -> None:
        """Read what has arrived, every message one read of the socket completed, or the close."""
        assert self.ws is not None and self.proto is not None
        try:
            messages = await self.ws.receive()
        except ConnectionClosed as closed:
            self._closed(closed)
            await self._settle(self._dispatch())
            return
        self.liveness.inbound(self._monotonic())
        self.frames += len(messages)
        proto = self.proto
        for message in messages:
            if type(message) is bytes:
                if proto.receive_text(message):
                    continue  # a result: handed on with the rest of the batch, below
            else:
                proto.receive_binary(message)
            await self._settle(self._dispatch())  # anything else is handled before the next message
        ended = self._dispatch()
        if ended or proto.has_output or self._pending is not None:
            await self._settle(ended)

    async def _settle(self, ended: bool) -> None:
        """After a message that asked for more than data: an end, a reply, a close."""
        assert self.proto is not None
        if ended:
            # Let the supervisor take an operation's end before the next message is handled, so
            # what the consumer sees (the end, then later data) keeps the order of the wire.
            await asyncio.sleep(0)
        if self.proto.has_output:
            await self.flush()
        if self._pending is not None and not isinstance(self._pending, Disconnected):
            raise self._pending  # fatal: the close has been sent

    def _closed(self, closed: ConnectionClosed) -> None:
        assert self.proto is not None
        if closed.rcvd is not None:
            self.proto.receive_close(closed.rcvd.code, closed.rcvd.reason)
        elif closed.sent is not None and closed.sent.code == 1009:
            # Our own max_size tripped. With compression the size is not known: only that it was over.
            size = getattr(closed.__cause__, "size", None)
            self.proto.receive_close(1009, f"{size:,} bytes" if size else "")
        else:
            self.proto.receive_close(None, "")

    # ---- what the protocol core reports ------------------------------------------------

    def _dispatch(self) -> bool:
        """Hand on what the core reports; True when an operation's end went to the supervisor."""
        assert self.proto is not None
        received_at, controls = self._received_at(), len(self._control)
        for event in self.proto.events_received():
            match event:
                case Next(id=op_id, payload=payload):  # protocol.Data: a result, as its message came
                    self._on_data(op_id, payload, received_at)
                case p.OperationFailed(id=op_id, errors=errors):
                    self._on_failed(op_id, list(errors))
                case p.Completed(id=op_id):
                    self._on_end(op_id, ())
                case p.Rejected(payload=payload):
                    detail = "; ".join(model.error_messages(payload)) or "no reason given"
                    raise AuthError(f"the server refused the connection: {sanitize(detail)}")
                case p.Alive():
                    if self.proto.dialect is Dialect.LEGACY:
                        self.liveness.expect("ka")
                    self.liveness.answered()
                case p.Violation(reason=reason):
                    # One bad frame in days must not end the tail: close 4400, say what it was,
                    # reconnect; the session gives up only when it keeps happening.
                    self.closing = True
                    self._pending = Disconnected(
                        f"the server sent an invalid message ({sanitize(reason, max_length=160)}); closed with 4400",
                        violation=True,
                    )
                case p.Closed(code=code, reason=reason, verdict=verdict):
                    self._on_close(code, reason, verdict)
        return len(self._control) > controls

    def _received_at(self) -> datetime:
        """The wall-clock time of the frame just read; one value for a burst read within a
        millisecond, so renderers can format it once, not per event (issue 7)."""
        then, stamp = self._received
        now = self.liveness.last_inbound
        if stamp is None or now - then >= STAMP_RESOLUTION:
            stamp = datetime.now(UTC)
            self._received = (now, stamp)
        return stamp

    def _on_data(self, op_id: str, payload: dict[str, Any], received_at: datetime) -> None:
        errors = payload.get("errors")
        if errors and "data" not in payload:
            # A request error: the operation never ran (GraphQL spec, "Response Format"). Apollo's
            # legacy server and async-graphql send validation errors this way, not as `error`.
            assert self.proto is not None
            self.proto.send_complete(op_id)
            self._on_failed(op_id, errors)
            return
        future = self.queries.get(op_id)
        if future is not None:
            if not future.done():
                if payload.get("data") is None and errors:
                    future.set_exception(OperationRejected(_joined(model.error_messages(errors)), model.error_codes(errors)))
                else:
                    future.set_result(payload.get("data"))
            return
        operation = self.ids[op_id]
        if errors:  # (a) 17: errors beside data do not end the stream; [] is no error
            self._delivery.put(model.ServerWarning(subscription=operation.label, messages=model.error_messages(errors)))
        data = payload.get("data")
        if data is not None:
            # Handed on as decoded: the watch's tracker makes the event, or its fast lane the record.
            if not self._heartbeats and model.is_heartbeat(data):
                self._heartbeats = True
                self.liveness.expect("heartbeat")  # from now on, silence means trouble
            self._delivery.put(model.Result(operation.label, data, received_at, operation.scope))

    def _on_failed(self, op_id: str, errors: list[Any]) -> None:
        future = self.queries.pop(op_id, None) if op_id in self.queries else None
        if future is not None:
            if not future.done():
                future.set_exception(OperationRejected(_joined(model.error_messages(errors)), model.error_codes(errors)))
            return
        verdict = operation_errors.classify(errors)
        if verdict.action is operation_errors.Action.REFRESH:
            # The guide: refresh the token and subscribe again; the session refreshes once, then gives up.
            self.closing = True
            self._pending = AuthError(
                f"the server says the credentials are not valid ({verdict.code}): {_joined(model.error_messages(errors))}"
            )
            assert self.proto is not None
            self.proto.close(1000)
            return
        self._on_end(op_id, model.error_messages(errors), verdict)

    def _on_end(self, op_id: str, errors: tuple[str, ...], verdict: operation_errors.Verdict | None = None) -> None:
        future = self.queries.pop(op_id, None)
        if future is not None:
            if not future.done():
                if errors:
                    future.set_exception(OperationRejected(_joined(errors)))
                else:
                    future.set_result(None)
            return
        operation = self.ids.pop(op_id, None)
        if operation is not None:
            self._control.put(Ended(connection=self.serial, operation=operation, errors=errors, verdict=verdict))

    def _on_close(self, code: int | None, reason: str, verdict: p.Verdict) -> None:
        if self._pending is not None:
            raise self._pending
        if self.closing:
            raise Finished()
        described = describe_close(code, reason)
        if (
            code in (1002, 4406)
            and self.offer is None
            and self.frames == 0
            and self.dialect is Dialect.TRANSPORT_WS
        ):
            # PROTOCOL.md (b) 4: a legacy-only server (Apollo's) takes the client's first offer
            # and then closes 1002. The session offers only the legacy protocol next, at once.
            raise Disconnected(
                f"the server refused graphql-transport-ws ({described}); trying graphql-ws", immediate=True, legacy_only=True
            )
        if verdict.action is p.Action.DONE:
            raise Finished()
        if verdict.action is p.Action.RETRY:
            if verdict.cause is p.Cause.TOO_BIG:
                size = f" of {sanitize(reason, max_length=40)}" if reason else ""
                described = (
                    f"a message{size} was over the {self.config.max_size:,} byte limit (1009); "
                    "--max-message-size raises it"
                )
            raise Disconnected(described, rate_limited=verdict.cause is p.Cause.RATE_LIMITED)
        raise close_error(verdict.cause, described)

    # ---- liveness ----------------------------------------------------------------------

    async def _watch_liveness(self) -> None:
        """Ask the liveness rules every tick; ping, or give the socket up, as they say."""
        proto, ws, liveness = self.proto, self.ws, self.liveness
        assert proto is not None and ws is not None
        tick = liveness.deadlines.tick()
        liveness.start_pinging(self._monotonic())
        while True:
            await asyncio.sleep(tick)
            now = self._monotonic()
            reason = liveness.verdict(now)
            if reason is not None:
                self._pending = Disconnected(f"the connection went silent: {reason}")
                proto.close(p.OUR_LIVENESS_TIMEOUT, "liveness timeout")
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(0.2):
                        await self.flush()
                ws.transport.abort()  # a half-open socket would not complete a close handshake
                return
            if proto.dialect is Dialect.TRANSPORT_WS and liveness.ping_due(now):
                liveness.pinged(now)
                proto.send_ping()
                await self.flush()

    # ---- plumbing ----------------------------------------------------------------------

    async def flush(self) -> None:
        proto, ws = self.proto, self.ws
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

    async def abandon(self) -> None:
        """Close what is left of the socket, bounded; never let teardown raise."""
        if self.ws is None:
            return
        try:
            async with asyncio.timeout(self.config.close_timeout):
                await self.ws.close()
        except Exception:
            self.ws.transport.abort()

    def fail_queries(self, error: IncidentsError) -> None:
        for future in self.queries.values():
            if not future.done():
                future.set_exception(error)
        self.queries.clear()


async def open_once(config: SessionConfig, token: Token | None, *, monotonic: Callable[[], float]) -> Connection:
    """One connection for a one-off job (check, schema): opened once, following a
    legacy-only server's refusal of graphql-transport-ws once (PROTOCOL.md (b) 4)."""
    offer = config.dialect
    for _ in range(2):
        # One-off jobs subscribe to nothing: what is delivered and ended goes nowhere.
        connection = Connection(
            config, token=token, offer=offer, delivery=Delivery(Inbox(), monotonic), control=Inbox(), monotonic=monotonic
        )
        try:
            await connection.open()
            return connection
        except Disconnected as failure:
            if not failure.legacy_only:
                raise
            offer = Dialect.LEGACY
    raise Disconnected("the server refused both graphql-transport-ws and graphql-ws")


def _joined(messages: tuple[str, ...]) -> str:
    return "; ".join(sanitize(message) for message in messages) or "the server reported an error"
