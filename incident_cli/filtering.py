"""Severity filtering on the client, and the truth of every severity shown under --severity.

``incidentStateChanges`` takes no ``severities`` argument, so with ``--severity`` the client
must know each incident's severity. It learns from every place a severity is known: events
that carry one (new and critical incidents, alerts), streams the server filtered (an
``incidentUpdates`` event asked for with ``severities: [P0, P1]`` says "P0 or P1"), the
backfill and lookups. An event about an incident whose severity is not known is looked up;
when no lookup can tell, an event under --severity is held back (``HeldBack``) until the
severity is learned: never shown unfiltered, never with a null severity. Pure: the caller
runs the lookups.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import Enum

from incident_cli.memory import UNKNOWN, Memory
from incident_cli.model import AlertReceived, IncidentSeen, StreamEvent

__all__ = ["UNKNOWN", "Decision", "HeldBack", "SeverityIndex"]

HOLD_LIMIT = 1_000  # events held back at most; past it the oldest are let go


class Decision(Enum):
    KEEP = "keep"
    DROP = "drop"
    LOOKUP = "lookup"  # the exact severity is not known: ask the server, then decide() again
    HOLD = "hold"  # not known, no lookup can tell, and a filter must not be shown unverified


class SeverityIndex:
    """Incident id -> its severity, UNKNOWN, or the set it is known to be one of.

    Kept in the incident memory (one record per incident, bounded there), shared with
    repair, titles and views.
    """

    def __init__(self, memory: Memory | None = None) -> None:
        self.memory = memory if memory is not None else Memory()

    def _severity(self, incident_id: str) -> str | frozenset[str] | None:
        known = self.memory.get(incident_id)
        return known.severity if known is not None else None

    def learn(self, incident_id: str | None, severity: str | None) -> None:
        """An exact severity (or UNKNOWN), from an event, a listing or a lookup."""
        if incident_id is None or severity is None:
            return
        # An event's incident was just observed (and so made the most recent): no second touch.
        known = self.memory.get(incident_id) or self.memory.entry(incident_id)
        if severity == UNKNOWN and isinstance(known.severity, str):
            return  # what we knew stays true
        known.severity = severity

    def learn_within(self, incident_id: str | None, severities: frozenset[str]) -> None:
        """The server filtered the stream to ``severities``: the incident has one of them."""
        if incident_id is None:
            return
        known = self.memory.entry(incident_id)
        if isinstance(known.severity, str) and known.severity != UNKNOWN:
            return  # an exact severity beats a range
        known.severity = severities & known.severity if isinstance(known.severity, frozenset) else severities

    def severity_of(self, incident_id: str | None) -> str | None:
        known = self._severity(incident_id) if incident_id is not None else None
        return known if isinstance(known, str) and known != UNKNOWN else None

    def decide(
        self,
        event: StreamEvent,
        *,
        wanted: frozenset[str] | None = None,
        within: frozenset[str] | None = None,
        strict: bool = False,
    ) -> Decision:
        """Keep, drop, look up or hold ``event``.

        ``wanted``: the severities the client must check (the server could not filter).
        ``within``: the server filtered the event's stream to these severities.
        ``strict``: the user filters by severity, so a shown event needs its exact severity.
        """
        if isinstance(event, (IncidentSeen, AlertReceived)):
            if isinstance(event, IncidentSeen):
                self.learn(event.incident_id, event.severity)
            return Decision.KEEP if wanted is None or event.severity in wanted else Decision.DROP
        incident_id = event.incident_id
        if incident_id is None:
            return Decision.KEEP  # heartbeats and custom data carry no incident
        if within is not None:
            self.learn_within(incident_id, within)
        known = self._severity(incident_id)
        if known == UNKNOWN:
            return Decision.HOLD if strict or wanted is not None else Decision.KEEP
        if isinstance(known, str):
            return Decision.KEEP if wanted is None or known in wanted else Decision.DROP
        if known is not None and wanted is not None and known.isdisjoint(wanted):
            return Decision.DROP  # a server-filtered stream already told us enough
        return Decision.LOOKUP

    def undecided(self, *, wanted: frozenset[str] | None, strict: bool) -> Decision:
        """The decision when no lookup can be made: without a filter the event is shown (its
        severity unknown); under one it is held back rather than shown unverified."""
        return Decision.HOLD if strict or wanted is not None else Decision.KEEP


class HeldBack:
    """Events held until their incident's severity is known, oldest let go first past ``limit``."""

    def __init__(self, limit: int = HOLD_LIMIT) -> None:
        self._held: OrderedDict[str, list[tuple[StreamEvent, frozenset[str] | None]]] = OrderedDict()
        self._limit = limit
        self._count = 0
        self.let_go = 0  # held events that were never shown

    def __len__(self) -> int:
        return self._count

    def __contains__(self, incident_id: object) -> bool:
        """Is anything held for this incident?"""
        return incident_id in self._held

    def hold(self, event: StreamEvent, wanted: frozenset[str] | None) -> None:
        incident_id = event.incident_id
        if incident_id is None:
            return
        self._held.setdefault(incident_id, []).append((event, wanted))
        self._count += 1
        while self._count > self._limit:
            oldest = next(iter(self._held))
            events = self._held[oldest]
            events.pop(0)
            if not events:
                del self._held[oldest]
            self._count -= 1
            self.let_go += 1

    def release(self, incident_id: str | None) -> list[tuple[StreamEvent, frozenset[str] | None]]:
        """The events held for ``incident_id``, oldest first, now that its severity is known."""
        if incident_id is None or not self._held:
            return []
        events = self._held.pop(incident_id, [])
        self._count -= len(events)
        return events

    def close(self) -> int:
        """Let go of everything still held; the number of events never shown, in all."""
        self.let_go += self._count
        self._held.clear()
        self._count = 0
        return self.let_go
