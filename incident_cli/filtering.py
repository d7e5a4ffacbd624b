"""Client-side severity filtering, for streams the server cannot filter.

``incidentStateChanges`` takes no ``severities`` argument, so with ``--severity`` the
client must know each incident's severity. It learns them from the events that carry one
and from server-filtered streams; for an incident it has never seen it asks for a
lookup. Pure: the caller runs the lookup query.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import Enum

from incident_cli.model import AlertReceived, IncidentSeen, StreamEvent

MAX_KNOWN = 10_000  # incidents remembered; bounded so days of streaming stay flat


class Decision(Enum):
    KEEP = "keep"
    DROP = "drop"
    LOOKUP = "lookup"  # severity unknown: ask the server, then decide()


# A stream the server filtered told us an incident matches, without saying which severity.
MATCHED = "matched"
# The server was asked and does not know the incident.
UNKNOWN = "unknown"


class SeverityIndex:
    """Incident id -> severity (or MATCHED / UNKNOWN), least recently used forgotten first."""

    def __init__(self, capacity: int = MAX_KNOWN) -> None:
        self._known: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def learn(self, incident_id: str | None, severity: str | None) -> None:
        if incident_id is None or severity is None:
            return
        if severity == MATCHED and self._known.get(incident_id, MATCHED) != MATCHED:
            return  # an exact severity beats "matched"
        self._known[incident_id] = severity
        self._known.move_to_end(incident_id)
        while len(self._known) > self._capacity:
            self._known.popitem(last=False)

    def severity_of(self, incident_id: str | None) -> str | None:
        severity = self._known.get(incident_id) if incident_id is not None else None
        return None if severity in (None, MATCHED, UNKNOWN) else severity

    def __len__(self) -> int:
        return len(self._known)

    def decide(self, event: StreamEvent, wanted: frozenset[str] | None) -> Decision:
        """Keep, drop or look up ``event`` from an operation whose client-side filter is ``wanted``.

        LOOKUP means the exact severity is not known yet: to filter (``wanted`` set) or to
        fill in the envelope's severity. After a lookup, ``learn`` and ask again.
        """
        if isinstance(event, (IncidentSeen, AlertReceived)):
            if isinstance(event, IncidentSeen):
                self.learn(event.incident_id, event.severity)
            return Decision.KEEP if wanted is None or event.severity in wanted else Decision.DROP
        incident_id = event.incident_id
        if incident_id is None:
            return Decision.KEEP  # heartbeats and custom data carry no incident
        known = self._known.get(incident_id)
        if known is None and wanted is None:
            self.learn(incident_id, MATCHED)  # the server filtered this stream (or nothing was asked)
        if known is None or known == MATCHED:
            return Decision.LOOKUP
        if known == UNKNOWN:
            return Decision.KEEP if wanted is None else Decision.DROP
        return Decision.KEEP if wanted is None or known in wanted else Decision.DROP

    def undecided(self, incident_id: str | None, wanted: frozenset[str] | None) -> Decision:
        """The decision when no lookup can be made: keep unless the index proves a mismatch."""
        known = self._known.get(incident_id) if incident_id is not None else None
        if wanted is None or known in (None, MATCHED, UNKNOWN):
            return Decision.KEEP  # unverified beats lost
        return Decision.KEEP if known in wanted else Decision.DROP
