"""The shift handover: what happened while you were off, from incidents as the server lists them.

``summarise`` takes incidents (the server's list, or those a recording saw) and the first
assignment seen for each (a recording knows it; the list queries do not), and says: opened and
resolved in the window, still open by severity and by team, the longest open, who holds what,
and the median times to acknowledge and to resolve where the data shows them. Pure.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import field
from datetime import datetime, timedelta

from incident_cli import streams
from incident_cli.model import DONE_STATES, Incident, parse_time
from incident_cli.values import frozen
from incident_cli.wording import NOBODY

LONGEST = 5  # open incidents named as the longest open
SEVERITIES = streams.SEVERITIES


@frozen
class Line:
    """One incident as the handover names it."""

    id: str
    severity: str | None
    title: str | None
    state: str | None
    team: str | None
    owner: str | None
    opened: str | None  # RFC 3339, as the server wrote it
    open_for: float | None  # seconds, for the open ones


@frozen
class Handover:
    """A shift's summary: what opened, what was resolved, what is still open and who holds it."""

    since: str  # the start of the window, RFC 3339
    until: str
    opened: list[Line] = field(default_factory=list)  # P0 first, at most ``limit`` of them
    resolved: list[Line] = field(default_factory=list)
    opened_count: int = 0  # in all, whatever the limit
    resolved_count: int = 0
    open_by_severity: dict[str, int] = field(default_factory=dict)
    open_by_team: dict[str, int] = field(default_factory=dict)
    longest_open: list[Line] = field(default_factory=list)
    owners: dict[str, int] = field(default_factory=dict)  # open incidents per owner; "nobody" too
    median_to_acknowledge: float | None = None  # seconds, from opened to the first assignment seen
    median_to_resolve: float | None = None  # seconds, for those resolved in the window

    @property
    def cut(self) -> bool:
        return len(self.opened) < self.opened_count or len(self.resolved) < self.resolved_count


def summarise(
    incidents: list[Incident], *, now: datetime, window: timedelta, assigned_at: dict[str, datetime] | None = None,
    limit: int | None = None,
) -> Handover:
    """``limit``: at most this many incidents named in each list (the counts stay whole)."""
    start = now - window
    opened, resolved, still_open = [], [], []
    to_resolve, to_acknowledge = [], []
    for incident in incidents:
        created, closed = parse_time(incident.created_at), parse_time(incident.resolved_at)
        if created is not None and created >= start:
            opened.append(incident)
            first = (assigned_at or {}).get(incident.id or "")
            if first is not None and first >= created:
                to_acknowledge.append((first - created).total_seconds())
        if closed is not None and closed >= start:
            resolved.append(incident)
            if created is not None:
                to_resolve.append((closed - created).total_seconds())
        if (incident.state or "").upper() not in DONE_STATES:
            still_open.append(incident)
    longest = sorted((i for i in still_open if parse_time(i.created_at)), key=lambda i: parse_time(i.created_at) or now)
    return Handover(
        since=_stamp(start), until=_stamp(now),
        opened=[_line(i, now) for i in _by_severity(opened)[:limit]],
        resolved=[_line(i, now) for i in _by_severity(resolved)[:limit]],
        opened_count=len(opened), resolved_count=len(resolved),
        open_by_severity=dict(sorted(_count(i.severity or "?" for i in still_open).items(), key=lambda item: _rank(item[0]))),
        open_by_team=_count(i.labels.get("team") or "(none)" for i in still_open),
        longest_open=[_line(i, now) for i in longest[:LONGEST]],
        owners=_count(i.assigned_to or NOBODY for i in still_open),
        median_to_acknowledge=statistics.median(to_acknowledge) if to_acknowledge else None,
        median_to_resolve=statistics.median(to_resolve) if to_resolve else None,
    )


def _line(incident: Incident, now: datetime) -> Line:
    created = parse_time(incident.created_at)
    done = (incident.state or "").upper() in DONE_STATES
    return Line(id=incident.id or "?", severity=incident.severity, title=incident.title, state=incident.state,
                team=incident.labels.get("team"), owner=incident.assigned_to, opened=incident.created_at,
                open_for=None if done or created is None else (now - created).total_seconds())


def _rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _by_severity(incidents: list[Incident]) -> list[Incident]:
    return sorted(incidents, key=lambda i: (_rank(i.severity), i.created_at or ""))


def _count(keys: Iterable[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for key in keys:
        counted[key] = counted.get(key, 0) + 1
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
