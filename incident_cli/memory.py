"""One bounded memory per incident: what the client knows of each, kept in one place.

The severity filter (its severity, or the set it is one of), gap repair (its last state
and update time), text lines and hooks (its title) and views (its owner and team; the
table's rows every fact they show) all read one record per incident id, written once per
event as it is triaged. Least recently touched incidents are forgotten past ``capacity``,
so days of streaming stay flat. With several servers, each has its own ids in one store
(``scoped``): the same id on two servers is two incidents. Pure: the use case feeds it, a
lookup or a listing included.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incident_cli import model
from incident_cli.model import parse_time

MAX_INCIDENTS = 10_000

# The server was asked and does not know the incident (a severity no filter can match).
UNKNOWN = "unknown"


@dataclass(slots=True)
class Known:
    """One incident as far as the client knows it: a few short fields, so 10,000 stay small."""

    # Its exact severity, UNKNOWN, or the set a server-filtered stream said it is one of.
    severity: str | frozenset[str] | None = None
    title: str | None = None
    assignee: str | None = None
    team: str | None = None  # its ``team`` label
    labels: dict[str, str] = field(default_factory=dict)
    described: bool = False  # a description was seen (a stream, a listing, a lookup): the fields are known
    state: str | None = None  # the latest state seen: from a description or a later change
    updated: str | None = None  # the latest time seen, as the server wrote it (parsed only to compare)

    def describe(self, data: dict[str, Any]) -> None:
        """A description of the incident (from a stream, a listing or a lookup)."""
        title, assignee, labels = data.get("title"), data.get("assignedTo"), data.get("labels")
        self.title, self.assignee = model.text(title), model.text(assignee)
        if labels != self.labels:  # the same labels as last time, as a rule: nothing to normalise
            self.labels = model.normalise_labels(labels)
        self.team = self.labels.get("team")
        self.described = True

    def saw(self, state: str | None, stamp: str | None) -> None:
        """A state or a time from an event: a state replaces, unless what told it is older than
        what was seen (a listing answered while live events passed); a time only moves forward."""
        if stamp is not None and stamp != self.updated:
            if self.updated is None or later(stamp, self.updated):
                self.updated = stamp
            elif later(self.updated, stamp):
                return  # older than what was seen: it changes nothing
        self.state = state or self.state


@dataclass(slots=True)
class Shown(Known):
    """What the views show besides (the table's columns, the detail): kept only by a memory that
    feeds a table, so JSON lines keep the compact record."""

    kind: str | None = None  # its type, else its source
    resources: tuple[str, ...] = ()
    description: str | None = None
    opened: datetime | None = None  # its createdAt (parsed once here, not at each frame's sort)
    resolved: datetime | None = None  # its resolvedAt

    def describe(self, data: dict[str, Any]) -> None:
        Known.describe(self, data)  # (a slotted dataclass: no zero-argument super())
        # The fields as model.Incident reads them, without making one: a storm describes every incident.
        self.kind = model.text(data.get("incidentType")) or model.text(data.get("source")) or self.kind
        self.resources = model.strings(data.get("affectedResources")) or self.resources
        description = model.text(data.get("description"))
        self.description = description if description is not None else self.description
        self.opened = parse_time(data.get("createdAt")) or self.opened
        self.resolved = parse_time(data.get("resolvedAt")) or self.resolved

    def recall(self, older: Shown) -> None:
        """A record made anew after the memory forgot the incident (a storm of others) takes back
        the description a view still held, while no new one has come; events since keep theirs."""
        if self.described or not older.described:
            return
        self.title, self.assignee, self.team, self.labels, self.described = (
            older.title, older.assignee, older.team, older.labels, True)
        self.kind, self.resources, self.description, self.opened, self.resolved = (
            older.kind, older.resources, older.description, older.opened, older.resolved)
        self.severity = self.severity if self.severity is not None else older.severity
        self.state = self.state or older.state
        self.updated = self.updated or older.updated


class Memory:
    """``views``: keep what the table shows too (``Shown`` records); else the compact ``Known``."""

    def __init__(self, capacity: int = MAX_INCIDENTS, *, views: bool = False) -> None:
        self._known: OrderedDict[Any, Known] = OrderedDict()  # id, or (server, id) when several
        self._capacity = capacity
        self._record: type[Known] = Shown if views else Known
        self._source: str | None = None
        self._scopes: dict[str | None, Memory] = {None: self}

    def scoped(self, source: str | None) -> Memory:
        """The same store, for the incidents of ``source`` (None: the one server's)."""
        scope = self._scopes.get(source)
        if scope is None:
            scope = self._scopes[source] = Memory.__new__(Memory)
            scope._known, scope._capacity, scope._record = self._known, self._capacity, self._record
            scope._source, scope._scopes = source, self._scopes
        return scope

    @property
    def views(self) -> bool:
        return self._record is Shown

    def __len__(self) -> int:
        return len(self._known)

    def __bool__(self) -> bool:
        return True  # a memory is one even when empty: ``memory or Memory()`` once made a second one

    def __iter__(self) -> Iterator[tuple[str, Known]]:
        """This scope's incidents, least recently used first."""
        if self._source is None:
            return iter([(key, known) for key, known in self._known.items() if type(key) is str])
        source = self._source
        return iter([(key[1], known) for key, known in self._known.items() if type(key) is tuple and key[0] == source])

    def get(self, incident_id: str | None) -> Known | None:
        """What is known of ``incident_id``, without counting as a use."""
        if incident_id is None:
            return None
        return self._known.get(incident_id if self._source is None else (self._source, incident_id))

    def about(self, event: model.StreamEvent) -> Known | None:
        """What is known of ``event``'s incident, on the server the event came from."""
        return self.scoped(event.source).get(event.incident_id) if event.source is not None else self.get(event.incident_id)

    def entry(self, incident_id: str) -> Known:
        """The record of ``incident_id``, made if new, and now the most recently used."""
        key = incident_id if self._source is None else (self._source, incident_id)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._record()
            if len(self._known) > self._capacity:
                self._known.popitem(last=False)
        else:
            self._known.move_to_end(key)
        return known

    def forget(self, incident_id: str) -> None:
        """The server no longer knows it (a restart with another world): nothing is kept."""
        self._known.pop(incident_id if self._source is None else (self._source, incident_id), None)

    def observe(self, event: model.StreamEvent) -> None:
        """What a stream event (or a listed or looked-up incident) says about its incident, kept
        under the server it came from (an event tagged with one; else this scope's)."""
        data = event.data
        incident_id = event.incident_id
        if not isinstance(data, dict) or not incident_id:
            return
        memory = self if event.source is None else self.scoped(event.source)
        match event:
            case model.IncidentSeen():
                known = memory.entry(incident_id)
                known.describe(data)
                known.saw(_string(data.get("state")), _string(data.get("updatedAt") or data.get("createdAt")))
            case model.StateChanged():
                memory.entry(incident_id).saw(_string(data.get("newState")), _string(data.get("timestamp")))
            case model.IncidentUpdated():
                memory.entry(incident_id).saw("RESOLVED" if data.get("updateType") == "RESOLVED" else None,
                                              _string(data.get("timestamp")))


def later(first: str | None, second: str | None) -> bool:
    """Is ``first`` a later time than ``second``?"""
    if first is not None and second is not None and len(first) == len(second) and first[-1] == second[-1] == "Z":
        return first > second  # same RFC 3339 shape in UTC: text order is time order, no parsing
    a, b = parse_time(first), parse_time(second)
    return a is not None and (b is None or a > b)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None
