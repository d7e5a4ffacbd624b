"""The one event model every renderer consumes.

Frozen values that keep the server's data as sent (``data``) for JSON output, plus a few
parsed fields for the human views. Tolerant of schema drift (API.md): unknown enum
values stay strings, ``labels`` may be a map or a key/value list, nulls never crash,
and a field of the wrong type is treated as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar, TypeVar, cast

from incident_cli import streams
from incident_cli.values import frozen, made

DONE_STATES = frozenset({"RESOLVED", "CLOSED"})  # in every schema variant seen (API.md)


def parse_time(text: object) -> datetime | None:
    """Server timestamps: ``Z`` or ``+00:00``, any fraction; None when unparseable or not text."""
    return _parsed_time(text) if isinstance(text, str) and text else None


@lru_cache(maxsize=4096)  # an incident's times come again with each of its events; parsing is 2-3 µs
def _parsed_time(text: str) -> datetime | None:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # fromisoformat takes at most 6 fractional digits: trim nanoseconds.
    head, dot, rest = value.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _stamp(value: Any) -> str | None:
    """Timestamps in one form (UTC, ``Z``, microseconds) whatever the server wrote; else as sent."""
    text = _text(value)
    if text is not None and len(text) <= 27 and text[-1:] == "Z" and _utc_second(text[:19]):
        fraction = text[20:-1] if text[19:20] == "." else ""
        if len(text) == 20 or (fraction.isdigit() and fraction.isascii()):
            return f"{text[:19]}.{fraction:0<6}Z"  # already UTC, to the microsecond at most: only padded
    parsed = parse_time(text)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z") if parsed else text


@lru_cache(maxsize=4096)
def _utc_second(head: str) -> bool:
    """Is ``head`` a date and time to the second (``YYYY-MM-DDTHH:MM:SS``)? Asked once per second
    of server time, not per event: parsing each update's time was half of making it (issue 16)."""
    return len(head) == 19 and head[10] == "T" and head.isascii() and parse_time(head + "Z") is not None


# ---- parsed records --------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value  # nearly always: one check
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    texts = [_text(item) for item in value]
    if None in texts:
        return tuple(text for text in texts if text is not None)
    return tuple(cast(list[str], texts))  # strings all: one copy, no filter (the table reads every incident)


def text(value: Any) -> str | None:
    """A server's scalar as text (None for null, objects and lists)."""
    return _text(value)


def normalise_labels(value: Any) -> dict[str, str]:
    """Labels as one map, whether the server sends a map or a list of ``{key, value}``."""
    if isinstance(value, dict):  # a JSON object's keys are strings
        return {key if type(key) is str else str(key): _text(item) or "" for key, item in value.items()}
    if isinstance(value, list):
        labels: dict[str, str] = {}
        for item in value:
            if isinstance(item, dict) and _text(item.get("key")) is not None:
                labels[str(item["key"])] = _text(item.get("value")) or ""
        return labels
    return {}


@frozen
class Incident:
    """An incident's parsed fields, for the human views."""

    id: str | None
    title: str | None = None
    description: str | None = None
    severity: str | None = None
    state: str | None = None
    incident_type: str | None = None
    source: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    resolved_at: str | None = None
    assigned_to: str | None = None
    affected_resources: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Incident:
        # Made without __init__ (every field given, each checked here): the table parses every
        # incident event, up to 10,000 a second in a storm (issue 16).
        return made(
            cls,
            id=_text(data.get("id")),
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            severity=_text(data.get("severity")),
            state=_text(data.get("state")),
            incident_type=_text(data.get("incidentType")),
            source=_text(data.get("source")),
            created_at=_stamp(data.get("createdAt")),
            updated_at=_stamp(data.get("updatedAt")),
            resolved_at=_stamp(data.get("resolvedAt")),
            assigned_to=_text(data.get("assignedTo")),
            affected_resources=_strings(data.get("affectedResources")),
            labels=normalise_labels(data.get("labels")),
        )


@frozen
class IncidentUpdate:
    """An update's parsed fields: its type, incident and time."""

    update_type: str | None
    incident_id: str | None
    timestamp: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> IncidentUpdate:
        return made(
            cls,
            update_type=_text(data.get("updateType")),
            incident_id=_text(data.get("incidentId")),
            timestamp=_stamp(data.get("timestamp")),
        )


@frozen
class StateChange:
    """A state change's parsed fields: from, to, by whom and when."""

    incident_id: str | None
    old_state: str | None
    new_state: str | None
    changed_by: str | None
    timestamp: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StateChange:
        return made(
            cls,
            incident_id=_text(data.get("incidentId")),
            old_state=_text(data.get("oldState")),
            new_state=_text(data.get("newState")),
            changed_by=_text(data.get("changedBy")),
            timestamp=_stamp(data.get("timestamp")),
        )


@frozen
class Alert:
    """An alert's parsed fields."""

    id: str | None
    source: str | None
    title: str | None
    severity: str | None
    status: str | None
    received_at: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=_text(data.get("id")),
            source=_text(data.get("source")),
            title=_text(data.get("title")),
            severity=_text(data.get("severity")),
            status=_text(data.get("status")),
            received_at=_stamp(data.get("receivedAt")),
        )


class _once:
    """A property computed on first use and then kept in the instance's ``__dict__``.

    functools.cached_property does the same, but takes a lock on every first use in
    Python 3.11: three times the cost, paid once per event on the hot path (issue 7).
    """

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self._compute = compute
        self._name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self._name] = self._compute(instance)
        return value


# ---- stream events ---------------------------------------------------------------------


class Label(StrEnum):
    """The ``subscription`` of events that are not one of the server's subscriptions."""

    BACKFILL = "backfill"  # listed at the start; shown with --backfill
    BASELINE = "baseline"  # listed at the start, not shown: what outputs learn titles from
    LOOKUP = "lookup"  # one incident asked for, for its severity or title
    REPAIR = "repair"  # listed after a reconnect: what the gap hid
    CUSTOM = "custom"  # the user's own document (--query)


@frozen
class Scope:
    """What the client must still check for one operation's events, travelling with them.

    ``wanted``: the severities the user asked for that the server could not filter on (None:
    the server filtered, or nothing was asked). ``within``: the severities the server filtered
    the operation to, so each event is about one of them (None: it did not).
    """

    wanted: frozenset[str] | None = None
    within: frozenset[str] | None = None


UNSCOPED = Scope()


@frozen
class StreamEvent:
    """Something the server sent on an operation. ``data`` is the server's value as sent."""

    kind: ClassVar[str] = "data"
    subscription: str
    received_at: datetime
    data: Any
    severity: str | None = None  # the incident's severity, when known
    source: str | None = None  # which server, when several are watched at once
    # Set by the connection from the operation it came on: the consumer never asks back up.
    scope: Scope = field(default=UNSCOPED, compare=False, repr=False)

    @property
    def incident_id(self) -> str | None:
        return None


@frozen
class IncidentSeen(StreamEvent):
    """An incident described (new, critical, listed or looked up)."""

    kind: ClassVar[str] = "incident"

    @_once
    def incident(self) -> Incident:
        """Parsed on first use: JSON lines never need it, so the hot path never pays for it."""
        return Incident.from_data(self.data if isinstance(self.data, dict) else {})

    @_once
    def incident_id(self) -> str | None:
        value = self.data.get("id") if isinstance(self.data, dict) else None
        return _text(value)  # ids are strings but for odd servers


@frozen
class IncidentUpdated(StreamEvent):
    """An update about an incident."""

    kind: ClassVar[str] = "update"
    update: IncidentUpdate

    @property
    def incident_id(self) -> str | None:
        return self.update.incident_id


@frozen
class Heartbeat(StreamEvent):
    """A HEARTBEAT update: liveness, not data."""

    kind: ClassVar[str] = "heartbeat"


@frozen
class StateChanged(StreamEvent):
    """An incident's state changed."""

    kind: ClassVar[str] = "state_change"
    change: StateChange

    @property
    def incident_id(self) -> str | None:
        return self.change.incident_id


@frozen
class AlertReceived(StreamEvent):
    """An alert arrived."""

    kind: ClassVar[str] = "alert"
    alert: Alert


_INCIDENT_ROOTS = streams.INCIDENT_ROOTS | {"incident"}


def stream_event(label: str, data: Any, received_at: datetime, scope: Scope = UNSCOPED) -> StreamEvent:
    """The model event for one result's ``data``.

    A result with one known root field becomes a typed event carrying that field's value;
    anything else (custom documents with several roots, lists, nulls) a plain StreamEvent.
    """
    if isinstance(data, dict) and len(data) == 1:
        (root, value), = data.items()
        if isinstance(value, dict):
            if root in _INCIDENT_ROOTS and "incidents" not in value:
                # incident_id given, not left to its lazy property: the watch asks for it of every event.
                return made(IncidentSeen, subscription=label, received_at=received_at, data=value, scope=scope,
                            severity=_text(value.get("severity")), incident_id=_text(value.get("id")))
            if root == streams.INCIDENT_UPDATES:
                update = IncidentUpdate.from_data(value)
                if update.update_type == "HEARTBEAT":
                    return Heartbeat(subscription=label, received_at=received_at, data=value, scope=scope)
                return made(IncidentUpdated, subscription=label, received_at=received_at, data=value, scope=scope,
                             update=update)
            if root == streams.STATE_CHANGES:
                change = StateChange.from_data(value)
                return made(StateChanged, subscription=label, received_at=received_at, data=value, scope=scope,
                             change=change)
            if root == streams.ALERTS:
                alert = Alert.from_data(value)
                return AlertReceived(subscription=label, received_at=received_at, data=value, scope=scope, alert=alert,
                                     severity=alert.severity)
    return StreamEvent(subscription=label, received_at=received_at, data=data, scope=scope)


_Event = TypeVar("_Event", bound="StreamEvent")


def with_severity(event: _Event, severity: str | None) -> _Event:
    """``replace(event, severity=severity)`` for an event a severity was found for (every update
    and state change under --severity): a copy of its fields, not a new event made and checked."""
    return made(type(event), **(event.__dict__ | {"severity": severity}))


# ---- session status --------------------------------------------------------------------


@frozen
class Connected:
    """A socket is open and acknowledged."""

    server: str
    subprotocol: str
    attempt: int
    downtime: float | None = None  # seconds without a live connection before this one


@frozen
class Reconnecting:
    """The connection was lost (or never made); the next attempt is in ``delay`` seconds."""

    reason: str
    attempt: int
    delay: float


@frozen
class ServerWarning:
    """Errors the server reported beside data (``next`` with ``errors``): the stream goes on."""

    subscription: str
    messages: tuple[str, ...]


@frozen
class ClientWarning:
    """Something this tool has to tell about itself: a filter that cannot be verified, a
    clock that is off, a refresh that failed. One line, said once."""

    message: str


@frozen
class OperationEnded:
    """The server ended one operation: completed, or with errors (terminal).

    ``remaining``: the operations still followed; ``gave_up``: the server kept failing it.
    """

    subscription: str
    errors: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    gave_up: bool = False


@frozen
class Resubscribing:
    """The server ended one operation with a fault worth retrying; it is subscribed again in ``delay`` s."""

    subscription: str
    reason: str
    attempt: int
    delay: float


@frozen
class GapRepaired:
    """After a reconnect, the list query was compared with what we had seen."""

    downtime: float | None
    repaired: int  # incidents emitted again because they changed while we were away
    vanished: tuple[str, ...] = ()  # ids the view held that the server no longer knows: removed
    unverified: int = 0  # incidents that left the list but could not be looked up (kept as they were)


@frozen
class RunCoverage:
    """At the end of a bounded run: how much of it had a live connection.

    ``partial``: it was connected, but not all the time (a disconnect, or a late start), so
    "nothing seen" covers only part of the run.
    """

    duration: float  # seconds the run lasted
    connected: float  # seconds of it with a live connection
    disconnects: int
    partial: bool
    repaired: int = 0  # of the disconnects, those whose gap the list query repaired


@frozen
class OutputDropped:
    """The reader of stdout fell behind and the oldest lines were dropped: a gap of ours.

    ``count`` since the last report, ``total`` in the run so far; ``final`` at its end.
    """

    count: int
    total: int = 0
    final: bool = False


@frozen
class Notice:
    """Something the user should know once, e.g. how the documents were fitted to the schema."""

    message: str


@frozen
class CredentialsRefreshed:
    """A fresh token, and a new connection subscribed with it before the old one closed."""

    expires_at: float | None  # seconds since the epoch


StatusEvent = (
    Connected
    | Reconnecting
    | ServerWarning
    | ClientWarning
    | OperationEnded
    | Resubscribing
    | GapRepaired
    | RunCoverage
    | OutputDropped
    | CredentialsRefreshed
    | Notice
)
Event = StreamEvent | StatusEvent


def error_messages(errors: Any) -> tuple[str, ...]:
    """The ``message`` of each GraphQL error, whatever shape the list has."""
    if isinstance(errors, dict):
        errors = [errors]
    if not isinstance(errors, list | tuple):
        return ()
    messages = []
    for item in errors:
        message = item.get("message") if isinstance(item, dict) else item
        messages.append(str(message) if message is not None else "unknown error")
    return tuple(messages)


def error_codes(errors: Any) -> tuple[str, ...]:
    """The ``extensions.code`` of each GraphQL error that has one (API.md, "Error codes")."""
    if isinstance(errors, dict):
        errors = [errors]
    codes = []
    for item in errors if isinstance(errors, list | tuple) else ():
        extensions = item.get("extensions") if isinstance(item, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if isinstance(code, str):
            codes.append(code)
    return tuple(codes)
