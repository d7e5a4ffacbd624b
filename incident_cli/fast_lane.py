"""The tracker's fast lane: the common result straight to its JSON-lines record.

Nearly every message of a flood is a result about one incident: a new or critical incident
(described, with an id and a severity), or an update or state change about an incident whose
severity is known, about which nothing waits. For such a result the general route makes an
event, triages it (memory, severity, one record per change), hands it on as an action and
envelopes it; this lane does the same work in one function from the decoded message: it
teaches the memory, applies the severity filter and the one-record rule, builds the record.

The tracker decides when the lane is open (no filter beyond severity, nothing waiting for the
first listing: tracking.py); an incident being looked up, or held back, is never the lane's,
and whatever the lane does not recognise takes the general route. tests/test_fast_lane.py
generates results, hostile ones included, and holds both routes byte-identical: the lines
written, the memory, the counts. The hot-path tricks live here and in model's makers, nowhere
else. Pure.
"""

from __future__ import annotations

from collections.abc import Container
from enum import Enum
from typing import Any, Literal

from incident_cli import model, streams
from incident_cli.envelope import ENVELOPE_VERSION, Stamps
from incident_cli.memory import UNKNOWN, Known, Memory
from incident_cli.one_record import OneRecord


class _Lane(Enum):
    NOT_TAKEN = "not taken"  # not the common case: the general route decides


NOT_TAKEN = _Lane.NOT_TAKEN
Taken = dict[str, Any] | None | Literal[_Lane.NOT_TAKEN]  # a record, dropped, or the general route's
_ROOTS = streams.INCIDENT_ROOTS


class FastLane:
    """Results to records for one tracker (``memory``: its server's scope of the store;
    ``one_record``: the tracker's rule, None when every message is asked for;
    ``follow_owners``: an ASSIGNED update must be re-read, so it is not the lane's)."""

    def __init__(self, memory: Memory, one_record: OneRecord | None = None,
                 follow_owners: bool = False, asked: Container[str] = frozenset(),
                 held: Container[str] = frozenset()) -> None:
        self.memory = memory
        # The incidents the tracker is looking up, and those it holds events for: what comes about
        # them is decided behind those, by the general route.
        self.asked, self.held = asked, held
        self.one_record = one_record
        self.follow_owners = follow_owners
        self.stamps = Stamps()
        self.taken = 0  # results this lane decided (a figure for tests and benchmarks)

    def take(self, result: model.Result) -> Taken:
        """The record to write, None when a filter or the one-record rule drops it, or NOT_TAKEN."""
        data = result.data
        if type(data) is not dict or len(data) != 1:
            return NOT_TAKEN
        ((root, value),) = data.items()
        if type(value) is not dict:
            return NOT_TAKEN
        if root in _ROOTS:
            return self._incident(result, value)
        if root == streams.INCIDENT_UPDATES or root == streams.STATE_CHANGES:
            return self._change(result, root, value)
        return NOT_TAKEN

    def _incident(self, result: model.Result, value: dict[str, Any]) -> Taken:
        incident_id, severity = value.get("id"), value.get("severity")
        if type(incident_id) is not str or not incident_id or type(severity) is not str or not severity:
            return NOT_TAKEN
        if incident_id in self.asked or incident_id in self.held:
            return NOT_TAKEN
        if severity == UNKNOWN or "incidents" in value:
            return NOT_TAKEN  # a server's "unknown" does not overwrite a severity learned before; a list is not one
        self.taken += 1
        # What memory.observe and SeverityIndex.learn do for a described incident, in one go.
        known = self.memory.entry(incident_id)
        known.describe(value)
        state, stamp = value.get("state"), value.get("updatedAt") or value.get("createdAt")
        known.saw(state if isinstance(state, str) else None, stamp if isinstance(stamp, str) else None)
        known.severity = severity
        wanted = result.scope.wanted
        if wanted is not None and severity not in wanted:
            return None
        return self._record("incident", result, incident_id, severity, known, value)

    def _change(self, result: model.Result, root: str, value: dict[str, Any]) -> Taken:
        """An update or a state change about an incident whose exact severity is known."""
        incident_id = value.get("incidentId")
        if type(incident_id) is not str or not incident_id or incident_id in self.asked or incident_id in self.held:
            return NOT_TAKEN
        update = root == streams.INCIDENT_UPDATES
        kind = value.get("updateType") if update else None
        if update and (type(kind) is not str or kind == "HEARTBEAT" or (kind == "ASSIGNED" and self.follow_owners)):
            return NOT_TAKEN  # liveness; an owner to re-read
        known = self.memory.get(incident_id)
        severity = known.severity if known is not None else None
        if type(severity) is not str or not severity or severity == UNKNOWN:
            return NOT_TAKEN  # to be looked up, held or shown without one: the general route's
        self.taken += 1
        # What memory.observe does for an update or a state change; the severity stays as known.
        known = self.memory.entry(incident_id)
        stamp = value.get("timestamp")
        if update:
            state = "RESOLVED" if kind == "RESOLVED" else None
        else:
            state = value.get("newState")
            state = state if isinstance(state, str) else None
        known.saw(state, stamp if isinstance(stamp, str) else None)
        wanted = result.scope.wanted
        if wanted is not None and severity not in wanted:
            return None
        if update and self.one_record is not None and self.one_record.said_elsewhere(kind, severity):
            return None  # the richer record of the same change is shown (or was, or will be)
        return self._record("update" if update else "state_change", result, incident_id, severity, known, value)

    def _record(self, kind: str, result: model.Result, incident_id: str, severity: str, known: Known,
                value: dict[str, Any]) -> dict[str, Any]:
        """envelope.envelope's record for a titled kind, key for key (no "source": an output of
        several servers tags each event itself, and takes no records)."""
        return {
            "v": ENVELOPE_VERSION,
            "kind": kind,
            "subscription": result.subscription,
            "received_at": self.stamps.text(result.received_at),
            "incident_id": incident_id,
            "severity": severity,
            "title": known.title,
            "state": known.state,
            "owner": known.assignee,
            "team": known.team,
            "data": value,
        }
