"""The tracker's fast lane: the common result straight to its JSON-lines record.

Nearly every message of a flood is a result of ``newIncidents`` or ``criticalIncidents``: one
incident, described, with an id and a severity, about which nothing waits. For such a result
the general route makes an event, triages it (memory, severity, one record per change),
hands it on as an action and envelopes it; this lane does the same work in one function from
the decoded message: it teaches the memory, applies the severity filter and builds the record.

The tracker decides when the lane is open (no filter beyond severity, nothing held, nothing
looked up, nothing waiting: tracking.py); whatever the lane does not recognise takes the
general route. tests/test_fast_lane.py generates results, hostile ones included, and holds
both routes byte-identical: the lines written, the memory, the counts. The hot-path tricks
live here and in model's makers, nowhere else. Pure.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from incident_cli import model, streams
from incident_cli.envelope import ENVELOPE_VERSION, Stamps
from incident_cli.memory import UNKNOWN, Memory


class _Lane(Enum):
    NOT_TAKEN = "not taken"  # not the common case: the general route decides


NOT_TAKEN = _Lane.NOT_TAKEN
_ROOTS = streams.INCIDENT_ROOTS


class FastLane:
    """Results to records for one tracker (``source``: this server's name in the memory, when
    several share it)."""

    def __init__(self, memory: Memory, source: str | None = None) -> None:
        self.memory = memory
        self.source = source
        self.stamps = Stamps()
        self.taken = 0  # results this lane decided (a figure for tests and benchmarks)

    def take(self, result: model.Result) -> dict[str, Any] | None | Literal[_Lane.NOT_TAKEN]:
        """The record to write, None when the severity filter drops it, or NOT_TAKEN."""
        data = result.data
        if type(data) is not dict or len(data) != 1:
            return NOT_TAKEN
        ((root, value),) = data.items()
        if root not in _ROOTS or type(value) is not dict or "incidents" in value:
            return NOT_TAKEN
        incident_id, severity = value.get("id"), value.get("severity")
        if type(incident_id) is not str or not incident_id or type(severity) is not str or not severity:
            return NOT_TAKEN
        if severity == UNKNOWN:
            return NOT_TAKEN  # a server's "unknown" does not overwrite a severity learned before
        self.taken += 1
        # What memory.observe and SeverityIndex.learn do for a described incident, in one go.
        known = self.memory.entry(incident_id)
        known.describe(value)
        state, stamp = value.get("state"), value.get("updatedAt") or value.get("createdAt")
        known.saw(state if isinstance(state, str) else None, stamp if isinstance(stamp, str) else None)
        known.source = self.source
        known.severity = severity
        wanted = result.scope.wanted
        if wanted is not None and severity not in wanted:
            return None
        # envelope.envelope's record for an incident, key for key.
        record = {
            "v": ENVELOPE_VERSION,
            "kind": "incident",
            "subscription": result.subscription,
            "received_at": self.stamps.text(result.received_at),
            "incident_id": incident_id,
            "severity": severity,
            "title": known.title,
            "state": known.state,
            "owner": known.assignee,
            "team": known.team,
            "data": value,
        }  # no "source": an output of several servers tags each event itself, and takes no records
        return record
