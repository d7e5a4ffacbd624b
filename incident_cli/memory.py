"""One bounded memory per incident: what the client knows of each, kept in one place.

The severity filter (its severity, or the set it is one of), gap repair (its last state
and update time), text lines and hooks (its title) and views (its owner and team) all
read one record per incident id, written once per event as it is triaged. Least recently
touched incidents are forgotten past ``capacity``, so days of streaming stay flat. Pure:
the use case feeds it, a lookup or a listing included.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    source: str | None = None  # the server it was last seen on, when several share the memory

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


class Memory:
    def __init__(self, capacity: int = MAX_INCIDENTS) -> None:
        self._known: OrderedDict[str, Known] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._known)

    def __bool__(self) -> bool:
        return True  # a memory is one even when empty: ``memory or Memory()`` once made a second one

    def __iter__(self) -> Iterator[tuple[str, Known]]:
        return iter(list(self._known.items()))

    def get(self, incident_id: str | None) -> Known | None:
        """What is known of ``incident_id``, without counting as a use."""
        return self._known.get(incident_id) if incident_id is not None else None

    def entry(self, incident_id: str) -> Known:
        """The record of ``incident_id``, made if new, and now the most recently used."""
        known = self._known.get(incident_id)
        if known is None:
            known = self._known[incident_id] = Known()
            if len(self._known) > self._capacity:
                self._known.popitem(last=False)
        else:
            self._known.move_to_end(incident_id)
        return known

    def forget(self, incident_id: str) -> None:
        """The server no longer knows it (a restart with another world): nothing is kept."""
        self._known.pop(incident_id, None)

    def title(self, incident_id: str | None) -> str | None:
        known = self.get(incident_id)
        return known.title if known is not None else None

    def observe(self, event: model.StreamEvent, source: str | None = None) -> None:
        """What a stream event (or a listed or looked-up incident) says about its incident."""
        data = event.data
        incident_id = event.incident_id
        if not isinstance(data, dict) or not incident_id:
            return
        match event:
            case model.IncidentSeen():
                known = self.entry(incident_id)
                known.describe(data)
                known.saw(_string(data.get("state")), _string(data.get("updatedAt") or data.get("createdAt")))
            case model.StateChanged():
                known = self.entry(incident_id)
                known.saw(_string(data.get("newState")), _string(data.get("timestamp")))
            case model.IncidentUpdated():
                known = self.entry(incident_id)
                known.saw("RESOLVED" if data.get("updateType") == "RESOLVED" else None, _string(data.get("timestamp")))
            case _:
                return
        known.source = source


def later(first: str | None, second: str | None) -> bool:
    """Is ``first`` a later time than ``second``?"""
    if first is not None and second is not None and len(first) == len(second) and first[-1] == second[-1] == "Z":
        return first > second  # same RFC 3339 shape in UTC: text order is time order, no parsing
    a, b = parse_time(first), parse_time(second)
    return a is not None and (b is None or a > b)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None
