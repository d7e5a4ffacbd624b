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

from incident_cli import model
from incident_cli.model import DONE_STATES, parse_time

CAPACITY = 10_000


@dataclass(slots=True)
class _Seen:
    state: str | None
    updated: str | None  # as the server wrote it: parsed only when compared, off the hot path


def _later(first: str | None, second: str | None) -> bool:
    """Is ``first`` a later time than ``second``?"""
    if first is not None and second is not None and len(first) == len(second) and first[-1] == second[-1] == "Z":
        return first > second  # same RFC 3339 shape in UTC: text order is time order, no parsing
    a, b = parse_time(first), parse_time(second)
    return a is not None and (b is None or a > b)


class KnownIncidents:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, event: model.StreamEvent) -> None:
        """Record what a stream event (or a snapshot) says about its incident."""
        data = event.data if isinstance(event.data, dict) else {}
        match event:
            case model.IncidentSeen() if event.incident_id:
                stamp = data.get("updatedAt") or data.get("createdAt")
                self._record(event.incident_id, _string(data.get("state")), _string(stamp))
            case model.StateChanged() if event.incident_id:
                self._record(event.incident_id, _string(data.get("newState")), _string(data.get("timestamp")))
            case model.IncidentUpdated() if event.incident_id:
                state = "RESOLVED" if data.get("updateType") == "RESOLVED" else None
                self._record(event.incident_id, state, _string(data.get("timestamp")))

    def changed(self, incident: model.Incident) -> bool:
        """Is this (from a list or lookup query) news: unknown, another state, or updated since?"""
        if not incident.id:
            return False
        seen = self._seen.get(incident.id)
        if seen is None:
            return True
        if incident.state is not None and incident.state != seen.state:
            return True
        return incident.updated_at is not None and _later(incident.updated_at, seen.updated)

    def active_ids(self) -> set[str]:
        return {key for key, seen in self._seen.items() if seen.state not in DONE_STATES}

    def _record(self, incident_id: str, state: str | None, stamp: str | None) -> None:
        seen = self._seen.get(incident_id)
        if seen is None:
            seen = self._seen[incident_id] = _Seen(state=state, updated=stamp)
        else:
            seen.state = state or seen.state
            if stamp is not None and stamp != seen.updated and (seen.updated is None or _later(stamp, seen.updated)):
                seen.updated = stamp
        self._seen.move_to_end(incident_id)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None
