"""The one event model every renderer consumes: stream events (frozen values that keep the
server's data as sent in ``data``, with a few parsed fields for the human views) and the
factory that makes them from a result. The records they parse (records.py) and the
session's status values (status.py) are re-exported: ``model.X`` is the one namespace the
renderers read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple, TypeVar

from incident_cli import streams
from incident_cli.records import (
    DONE_STATES,
    Alert,
    Incident,
    IncidentUpdate,
    StateChange,
    error_codes,
    error_messages,
    normalise_labels,
    parse_time,
    strings,
    text,
)
from incident_cli.session_status import (
    ClientWarning,
    Connected,
    CredentialsRefreshed,
    GapRepaired,
    Notice,
    OperationEnded,
    OutputDropped,
    Reconnecting,
    Resubscribing,
    RunCoverage,
    ServerWarning,
    StatusEvent,
)
from incident_cli.values import frozen, made


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
        return text(value)  # ids are strings but for odd servers


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


def stream_event(label: str, data: Any, received_at: datetime, scope: Scope = UNSCOPED) -> StreamEvent:
    """The model event for one result's ``data``.

    A result with one known root field becomes a typed event carrying that field's value;
    anything else (custom documents with several roots, lists, nulls) a plain StreamEvent.
    """
    if isinstance(data, dict) and len(data) == 1:
        (root, value), = data.items()
        makes = streams.MAKES.get(root)  # what the subscription's messages become (streams.Stream.makes)
        if makes is not None and isinstance(value, dict):
            if makes == "incident" and "incidents" not in value:
                # incident_id given, not left to its lazy property: the watch asks for it of every event.
                return made(IncidentSeen, subscription=label, received_at=received_at, data=value, scope=scope,
                            severity=text(value.get("severity")), incident_id=text(value.get("id")))
            if makes == "update":
                update = IncidentUpdate.from_data(value)
                if update.update_type == "HEARTBEAT":
                    return Heartbeat(subscription=label, received_at=received_at, data=value, scope=scope)
                return made(IncidentUpdated, subscription=label, received_at=received_at, data=value, scope=scope,
                             update=update)
            if makes == "state_change":
                change = StateChange.from_data(value)
                return made(StateChanged, subscription=label, received_at=received_at, data=value, scope=scope,
                             change=change)
            if makes == "alert":
                alert = Alert.from_data(value)
                return AlertReceived(subscription=label, received_at=received_at, data=value, scope=scope, alert=alert,
                                     severity=alert.severity)
    return StreamEvent(subscription=label, received_at=received_at, data=data, scope=scope)


class Result(NamedTuple):
    """One result of a subscription as the connection decoded it, not yet an event: the watch's
    tracker makes it one (``event()``), or its fast lane a record straight away (tracking.py)."""

    subscription: str
    data: Any
    received_at: datetime
    scope: Scope = UNSCOPED

    def event(self) -> StreamEvent:
        return stream_event(self.subscription, self.data, self.received_at, self.scope)


def is_heartbeat(data: Any) -> bool:
    """Is this result a heartbeat (an update of type HEARTBEAT: liveness, not data)?"""
    value = data.get(streams.INCIDENT_UPDATES) if type(data) is dict and len(data) == 1 else None
    return isinstance(value, dict) and text(value.get("updateType")) == "HEARTBEAT"


_Event = TypeVar("_Event", bound="StreamEvent")


def with_severity(event: _Event, severity: str | None) -> _Event:
    """``replace(event, severity=severity)`` for an event a severity was found for (every update
    and state change under --severity): a copy of its fields, not a new event made and checked."""
    return made(type(event), **(event.__dict__ | {"severity": severity}))


Event = StreamEvent | Result | StatusEvent

__all__ = [  # model.X is the one namespace the renderers read: records and status re-exported
    "Alert",
    "AlertReceived",
    "ClientWarning",
    "Connected",
    "CredentialsRefreshed",
    "DONE_STATES",
    "Event",
    "GapRepaired",
    "Heartbeat",
    "Incident",
    "IncidentSeen",
    "IncidentUpdate",
    "IncidentUpdated",
    "Label",
    "Notice",
    "OperationEnded",
    "OutputDropped",
    "Reconnecting",
    "Result",
    "Resubscribing",
    "RunCoverage",
    "Scope",
    "ServerWarning",
    "StateChange",
    "StateChanged",
    "StatusEvent",
    "StreamEvent",
    "UNSCOPED",
    "error_codes",
    "error_messages",
    "is_heartbeat",
    "normalise_labels",
    "parse_time",
    "stream_event",
    "strings",
    "text",
    "with_severity",
]
