"""One record per change: of the messages the default streams send about one change, the richer.

The reference server tells of a state change twice (an ``incidentStateChanges`` message with
the old and new state, and an ``incidentUpdates`` message of type STATE_CHANGED, or RESOLVED),
and of a new incident twice (the incident itself on ``newIncidents``, and an update of type
CREATED). Printed as they come, every change is counted twice by ``jq``, posted twice to a
webhook, and fills a text pane with noise. When the richer stream is followed too, the update
is left out; ``--raw-streams`` keeps every message. Pure.
"""

from __future__ import annotations

from collections.abc import Callable

from incident_cli import model, streams

CRITICAL = frozenset(streams.CRITICAL)
SAID_BY_STATE_CHANGES = frozenset({"STATE_CHANGED", "RESOLVED"})


class OneRecord:
    def __init__(self, roots: frozenset[str]) -> None:
        """``roots``: the root fields of the subscriptions followed."""
        self._state_changes = streams.STATE_CHANGES in roots
        self._new = streams.NEW_INCIDENTS in roots
        self._critical = streams.CRITICAL_INCIDENTS in roots

    def redundant(
        self, event: model.StreamEvent, severity_of: Callable[[str | None], str | None] = lambda _id: None
    ) -> bool:
        """Is ``event`` an update that a richer record of the same change already says?
        ``severity_of``: an incident's severity, when known (an update carries none); asked only
        for a CREATED update under criticalIncidents, never on the way of every other event."""
        if not isinstance(event, model.IncidentUpdated):
            return False
        kind = event.update.update_type
        critical = kind == "CREATED" and self._critical and not self._new
        return self.said_elsewhere(kind, (event.severity or severity_of(event.incident_id)) if critical else None)

    def said_elsewhere(self, update_type: str | None, severity: str | None) -> bool:
        """Does a richer record say an update of ``update_type`` (about an incident of ``severity``,
        needed only for CREATED under criticalIncidents)? The rule both of the tracker's routes ask."""
        if update_type in SAID_BY_STATE_CHANGES:
            return self._state_changes
        if update_type == "CREATED":
            return self._new or (self._critical and severity in CRITICAL)
        return False
