"""Sans-I/O client state machine for ONE socket (house rules 1-3).

Fed with ``receive_text`` / ``receive_binary`` / ``receive_close``, commanded with
``send_init`` / ``send_subscribe`` / ``send_complete`` / ``send_ping`` / ``close``, drained
with ``events_received()``, ``data_to_send()`` and ``close_to_send()`` after every call.
It never raises for what the server sends: an invalid message becomes a ``Violation``
event and a request to close with 4400 (PROTOCOL.md (a) 21).

The close-code policy (done / retry / fatal, DESIGN.md) lives here too, as one table.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from incident_cli import messages as m
from incident_cli.errors import InvalidMessage, LocalProtocolError
from incident_cli.values import frozen

# ---- states ------------------------------------------------------------------------------


class State(Enum):
    NEW = "new"  # socket open, nothing sent yet
    INITIALISING = "initialising"  # connection_init sent, waiting for the ack
    READY = "ready"  # acknowledged: operations may be started
    CLOSING = "closing"  # we asked for a close (user stop, violation, timeout)
    CLOSED = "closed"  # the socket is gone


class Trigger(Enum):
    SEND_INIT = "send_init"
    RECEIVE_ACK = "receive_ack"
    REQUEST_CLOSE = "request_close"
    RECEIVE_CLOSE = "receive_close"


_OPEN = (State.NEW, State.INITIALISING, State.READY)

TRANSITIONS: dict[tuple[State, Trigger], State] = {
    # (a) 4-5: connection_init first, exactly once.
    (State.NEW, Trigger.SEND_INIT): State.INITIALISING,
    # (a) 9: the first non-ping message must be the ack; a second ack is ignored.
    (State.INITIALISING, Trigger.RECEIVE_ACK): State.READY,
    (State.READY, Trigger.RECEIVE_ACK): State.READY,
    **{(state, Trigger.REQUEST_CLOSE): State.CLOSING for state in _OPEN},
    **{(state, Trigger.RECEIVE_CLOSE): State.CLOSED for state in (*_OPEN, State.CLOSING)},
}


# ---- close-code policy ----------------------------------------------------------------


class Action(Enum):
    DONE = "done"  # the stream is over; end quietly
    RETRY = "retry"  # a disconnect: reconnect with backoff
    FATAL = "fatal"  # report and exit after this one attempt


class Cause(Enum):
    FINISHED = "finished"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate-limited"  # retried with a longer wait
    TOO_BIG = "message-too-big"
    AUTH = "auth"
    CLIENT_BUG = "client-bug"
    PROTOCOL = "protocol"
    REJECTED = "rejected"


@frozen
class Verdict:
    """What a close code means: its action and cause."""

    action: Action
    cause: Cause


OUR_ACK_TIMEOUT = 4504  # graphql-ws client's code for a missing ack (PROTOCOL.md (a) 8)
OUR_LIVENESS_TIMEOUT = 4408  # graphql-ws docs' convention for a missing pong ((a) 13)
INVALID_MESSAGE = 4400

_RETRY = Verdict(action=Action.RETRY, cause=Cause.TRANSIENT)

# One row per code (DESIGN.md "Close codes and retries"); 1000/1001 and 4500 depend on context.
CLOSE_CODES: dict[int, Verdict] = {
    1002: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    1003: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    1005: _RETRY,
    1006: _RETRY,
    1007: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    1008: Verdict(action=Action.FATAL, cause=Cause.AUTH),
    1009: Verdict(action=Action.RETRY, cause=Cause.TOO_BIG),
    1010: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    1011: _RETRY,
    1012: _RETRY,
    1013: _RETRY,
    1014: _RETRY,
    1015: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    4004: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    4005: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    4400: Verdict(action=Action.FATAL, cause=Cause.CLIENT_BUG),
    4401: Verdict(action=Action.FATAL, cause=Cause.AUTH),
    4403: Verdict(action=Action.FATAL, cause=Cause.AUTH),
    4406: Verdict(action=Action.FATAL, cause=Cause.PROTOCOL),
    4408: _RETRY,
    4409: Verdict(action=Action.FATAL, cause=Cause.CLIENT_BUG),
    4429: Verdict(action=Action.RETRY, cause=Cause.RATE_LIMITED),
    4499: _RETRY,
    4504: _RETRY,
}


def close_verdict(code: int | None, *, operations_active: bool, just_subscribed: bool) -> Verdict:
    """What a close with ``code`` means for the tail.

    ``operations_active``: some operation had not completed when the socket closed.
    ``just_subscribed``: a subscribe was sent and nothing arrived after it, which is how a
    graphql-ws server answers a syntax error (4500, PROTOCOL.md (a) 26).
    """
    if code is None:
        return _RETRY  # no close frame at all: an abrupt drop (1006)
    if code in (1000, 1001):
        # Some servers close 1000 with streams active; 1001 is a deploy (RELIABILITY.md 0.5).
        return _RETRY if operations_active else Verdict(action=Action.DONE, cause=Cause.FINISHED)
    if code == 4500:
        if just_subscribed:
            return Verdict(action=Action.FATAL, cause=Cause.REJECTED)
        return _RETRY
    if code in CLOSE_CODES:
        return CLOSE_CODES[code]
    if 1000 <= code <= 1999:
        return Verdict(action=Action.FATAL, cause=Cause.PROTOCOL)
    return _RETRY  # other application codes (3000-4999): retry, with the usual cap


# ---- events ----------------------------------------------------------------------------


@frozen
class Acknowledged:
    """The server acknowledged the connection."""

    payload: Any = None


# A result of an active operation is reported as the `next` (or legacy `data`) message
# that carried it: the same two fields, one object fewer per event.
Data = m.Next


@frozen
class OperationFailed:
    """The server failed one operation."""

    id: str
    errors: tuple[dict[str, Any], ...]


@frozen
class Completed:
    """The server completed one operation."""

    id: str


@frozen
class Alive:
    """Liveness from the server (pong or legacy ``ka``); resets watchdogs."""


@frozen
class Rejected:
    """Legacy ``connection_error``: init refused, typically bad credentials."""

    payload: Any = None


@frozen
class Violation:
    """The server broke the protocol; a 4400 close has been requested."""

    reason: str


@frozen
class Closed:
    """The socket closed: its code, reason and what they mean."""

    code: int | None
    reason: str
    verdict: Verdict


ProtocolEvent = Acknowledged | Data | OperationFailed | Completed | Alive | Rejected | Violation | Closed


@frozen
class CloseRequest:
    """A close the core asks the driver to send."""

    code: int
    reason: str


# ---- the state machine -----------------------------------------------------------------


class ClientProtocol:
    """graphql-transport-ws (or legacy) client for one socket. A reconnect makes a new one."""

    def __init__(self, dialect: m.Dialect) -> None:
        self.dialect = dialect
        self.state = State.NEW
        self.failure: str | None = None
        self._active: set[str] = set()
        self._next_id = 1
        self._events: list[ProtocolEvent] = []
        self._outgoing: list[str] = []
        self._close: CloseRequest | None = None
        self._quiet_since_subscribe = False

    # -- queries

    @property
    def active_operations(self) -> frozenset[str]:
        return frozenset(self._active)

    # -- draining

    def events_received(self) -> list[ProtocolEvent]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str]:
        frames, self._outgoing = self._outgoing, []
        return frames

    def close_to_send(self) -> CloseRequest | None:
        request, self._close = self._close, None
        return request

    @property
    def has_output(self) -> bool:
        """Frames or a close are waiting: the driver flushes only then (once per frame is costly)."""
        return bool(self._outgoing) or self._close is not None

    # -- commands

    def send_init(self, payload: dict[str, Any] | None = None) -> None:
        self._transition(Trigger.SEND_INIT)
        self._send(m.ConnectionInit(payload=payload))

    def send_subscribe(
        self, query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
    ) -> str:
        if self.state is not State.READY:
            # (a) 7: subscribe before the ack gets 4401.
            raise LocalProtocolError(f"cannot subscribe in state {self.state.value}")
        op_id = str(self._next_id)  # (a) 15: a per-socket counter keeps ids unique
        self._next_id += 1
        self._active.add(op_id)
        self._quiet_since_subscribe = True
        self._send(m.Subscribe(id=op_id, query=query, variables=variables, operation_name=operation_name))
        return op_id

    def send_complete(self, op_id: str) -> None:
        """Stop one operation; whatever is still in flight for it is then ignored ((a) 23)."""
        if op_id in self._active and self.state is State.READY:
            self._active.discard(op_id)
            self._send(m.Stop(id=op_id))

    def send_ping(self, payload: Any = None) -> None:
        if self.dialect is m.Dialect.LEGACY or self.state not in _OPEN:
            return  # the legacy dialect has no ping; liveness comes from `ka`
        self._send(m.Ping(payload=payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Ask for the socket to be closed; when we end it on purpose (1000 done, 1001 going
        away: a signal), complete every operation first ((a) 23)."""
        if self.state not in _OPEN:
            return
        if code in (1000, 1001) and self.state is State.READY:
            for op_id in sorted(self._active, key=int):
                self.send_complete(op_id)
            if self.dialect is m.Dialect.LEGACY:
                self._send(m.Terminate())
        self._request_close(code, reason)

    # -- input

    def receive_text(self, text: str | bytes) -> bool:
        """A text message: ``str``, or its UTF-8 bytes as the driver reads them (not decoded twice).

        True when it was a result and nothing else happened, so a driver may hand a batch of
        them on at once; False when it may have changed anything else (state, output, an end).
        """
        if self.state not in (State.INITIALISING, State.READY):
            return True  # before init nothing is expected; after a close request, drain and ignore
        try:
            message = m.decode(text, self.dialect)
        except InvalidMessage as exc:
            shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
            self._fail(f"{exc.message}: {excerpt(shown)}")
            return False
        self._quiet_since_subscribe = False
        if type(message) is m.Next and self.state is State.READY:
            # Nearly every frame is a result: skip the dispatch below (issue 7, the hot path).
            if message.id in self._active:  # (a) 20: unknown or finished ids are ignored
                self._events.append(message)
            return True
        self._handle(message)
        return False

    def receive_binary(self, data: bytes) -> None:
        # (a) 22: the spec only describes text frames.
        if self.state in (State.INITIALISING, State.READY):
            self._fail(f"a binary frame: {excerpt(data)}")

    def receive_close(self, code: int | None, reason: str = "") -> None:
        if self.state is State.CLOSED:
            return
        verdict = close_verdict(
            code, operations_active=bool(self._active), just_subscribed=self._quiet_since_subscribe
        )
        self._transition(Trigger.RECEIVE_CLOSE)
        self._events.append(Closed(code=code, reason=reason, verdict=verdict))

    # -- internals

    def _handle(self, message: m.ServerMessage) -> None:
        match message:
            case m.Ping(payload=payload):
                # (a) 10-11: answer at once, before the ack too, echoing the payload.
                self._send(m.Pong(payload=payload))
            case m.Pong() | m.KeepAlive():
                self._events.append(Alive())  # (a) 12: unsolicited pongs are fine
            case m.ConnectionAck(payload=payload):
                if self.state is State.INITIALISING:
                    self._transition(Trigger.RECEIVE_ACK)
                    self._events.append(Acknowledged(payload=payload))
            case m.ConnectionError(payload=payload):
                self._events.append(Rejected(payload=payload))
            case _ if self.state is not State.READY:
                self._fail(f"'{_wire_name(message)}' before connection_ack")
            case m.Next(id=op_id):
                if op_id in self._active:  # (a) 20: unknown or finished ids are ignored
                    self._events.append(message)
            case m.Error(id=op_id, errors=errors):
                if op_id in self._active:  # (a) 18: terminal, no complete follows
                    self._active.discard(op_id)
                    self._events.append(OperationFailed(id=op_id, errors=errors))
            case m.Complete(id=op_id):
                if op_id in self._active:
                    self._active.discard(op_id)
                    self._events.append(Completed(id=op_id))

    def _fail(self, reason: str) -> None:
        self.failure = reason
        self._events.append(Violation(reason=reason))
        self._request_close(INVALID_MESSAGE, "Invalid message received")

    def _request_close(self, code: int, reason: str) -> None:
        if self.state in _OPEN:
            self._transition(Trigger.REQUEST_CLOSE)
            self._close = CloseRequest(code=code, reason=reason)

    def _send(self, message: m.ClientMessage) -> None:
        self._outgoing.append(m.encode(message, self.dialect))

    def _transition(self, trigger: Trigger) -> None:
        try:
            self.state = TRANSITIONS[(self.state, trigger)]
        except KeyError:
            raise LocalProtocolError(f"{trigger.value} is not allowed in state {self.state.value}") from None


EXCERPT = 48  # characters of a bad frame shown in the message about it


def excerpt(frame: str | bytes) -> str:
    """The start of a frame and its size, for saying what was wrong with it (sanitised by the caller)."""
    size = f"{len(frame):,} bytes"
    if isinstance(frame, bytes):
        return f"{frame[:EXCERPT]!r}{'...' if len(frame) > EXCERPT else ''} ({size})"
    return f"'{frame[:EXCERPT]}{'...' if len(frame) > EXCERPT else ''}' ({size})"


def _wire_name(message: m.ServerMessage) -> str:
    return {m.Next: "next", m.Error: "error", m.Complete: "complete"}.get(type(message), type(message).__name__)
