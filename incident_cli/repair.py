"""Gap repair: what changed while we were disconnected, judged against what we had seen.

GraphQL subscriptions cannot resume; the graphql-ws maintainer's advice is to re-query
state after a reconnect (RELIABILITY.md finding 10). The incident memory holds the last
state and update time the client saw of each incident; against it, after a reconnect, the
list query's answer is split into "already known" (not emitted twice) and "new or changed
while away" (emitted, marked as repaired). Pure.
"""

from __future__ import annotations

from incident_cli import model
from incident_cli.memory import Memory, later
from incident_cli.model import DONE_STATES


def changed(memory: Memory, incident: model.Incident) -> bool:
    """Is this (from a list or lookup query) news: unknown, another state, or updated since?"""
    if not incident.id:
        return False
    known = memory.get(incident.id)
    if known is None or (known.state is None and known.updated is None):
        return True
    if incident.updated_at is not None and known.updated is not None and later(known.updated, incident.updated_at):
        return False  # older than what the stream has told since: a listing answered while events passed
    if incident.state is not None and incident.state != known.state:
        return True
    return incident.updated_at is not None and later(incident.updated_at, known.updated)


def active_ids(memory: Memory) -> set[str]:
    """Incidents (of the memory's server) that were not resolved or closed when last seen."""
    return {key for key, known in memory if (known.state or known.updated) and known.state not in DONE_STATES}


def left_the_list(memory: Memory, listed: set[str], severities: tuple[str, ...]) -> list[str]:
    """Incidents last seen active that the list (of ``severities``, when given) no longer has:
    resolved, closed or unknown to the server now. Those of other severities were never listed."""
    wanted = frozenset(severities)

    def listable(incident_id: str) -> bool:
        known = memory.get(incident_id)
        severity = known.severity if known is not None else None
        return not wanted or not isinstance(severity, str) or severity in wanted

    return sorted(key for key in active_ids(memory) - listed if listable(key))
