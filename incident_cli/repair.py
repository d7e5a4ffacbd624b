"""Gap repair: what changed while we were disconnected, judged against what we had seen.

GraphQL subscriptions cannot resume; the graphql-ws maintainer's advice is to re-query
state after a reconnect (RELIABILITY.md finding 10). This keeps, per incident, the last
state and update time the client saw, so that after a reconnect the list query's answer
can be split into "already known" (not emitted twice) and "new or changed while away"
(emitted, marked as repaired). Pure and bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from incident_cli import model
from incident_cli.model import DONE_STATES, parse_time

CAPACITY = 10_000


@dataclass(slots=True)
class _Seen:
    state: str | None
    updated: datetime | None


class KnownIncidents:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, event: model.StreamEvent) -> None:
        """Record what a stream event (or a snapshot) says about its incident."""
        match event:
            case model.IncidentSeen(incident=incident) if incident.id:
                stamp = parse_time(incident.updated_at) or parse_time(incident.created_at)
                self._record(incident.id, incident.state, stamp)
            case model.StateChanged(change=change) if change.incident_id:
                self._record(change.incident_id, change.new_state, parse_time(change.timestamp))
            case model.IncidentUpdated(update=update) if update.incident_id:
                state = "RESOLVED" if update.update_type == "RESOLVED" else None
                self._record(update.incident_id, state, parse_time(update.timestamp))

    def changed(self, incident: model.Incident) -> bool:
        """Is this (from a list or lookup query) news: unknown, another state, or updated since?"""
        if not incident.id:
            return False
        seen = self._seen.get(incident.id)
        if seen is None:
            return True
        if incident.state is not None and incident.state != seen.state:
            return True
        updated = parse_time(incident.updated_at)
        return updated is not None and (seen.updated is None or updated > seen.updated)

    def active_ids(self) -> set[str]:
        return {key for key, seen in self._seen.items() if seen.state not in DONE_STATES}

    def _record(self, incident_id: str, state: str | None, stamp: datetime | None) -> None:
        seen = self._seen.get(incident_id)
        if seen is None:
            seen = self._seen[incident_id] = _Seen(state=state, updated=stamp)
        else:
            seen.state = state or seen.state
            if stamp is not None and (seen.updated is None or stamp > seen.updated):
                seen.updated = stamp
        self._seen.move_to_end(incident_id)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
