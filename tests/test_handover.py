"""The handover summary, from incidents with known times."""

from datetime import UTC, datetime, timedelta

from incident_cli.handover import summarise
from incident_cli.model import Incident

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def incident(iid, severity, hours_ago, state="NEW", resolved_hours_ago=None, team="sre", owner=None):
    stamp = lambda hours: (NOW - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")  # noqa: E731
    return Incident(id=iid, severity=severity, title=f"t {iid}", state=state, created_at=stamp(hours_ago),
                    resolved_at=stamp(resolved_hours_ago) if resolved_hours_ago is not None else None,
                    labels={"team": team}, assigned_to=owner)


def test_opened_resolved_still_open_longest_owners_and_medians():
    incidents = [
        incident("old", "P1", 30, owner="dana"),  # opened before the window, still open
        incident("a", "P0", 5, team="payments"),
        incident("b", "P2", 3, state="RESOLVED", resolved_hours_ago=1),  # 2 h to resolve
        incident("c", "P0", 2, state="CLOSED", resolved_hours_ago=1.5),  # 30 min to resolve
        incident("d", "P3", 1, owner="dana"),
    ]
    assigned = {"a": NOW - timedelta(hours=4, minutes=50), "d": NOW - timedelta(minutes=30)}  # 10 and 30 min
    handover = summarise(incidents, now=NOW, window=timedelta(hours=8), assigned_at=assigned)
    assert [line.id for line in handover.opened] == ["a", "c", "b", "d"]  # by severity, then opened
    assert [line.id for line in handover.resolved] == ["c", "b"]
    assert handover.open_by_severity == {"P0": 1, "P1": 1, "P3": 1} and handover.open_by_team == {"sre": 2, "payments": 1}
    assert handover.longest_open[0].id == "old" and handover.longest_open[0].open_for == 30 * 3600
    assert handover.owners == {"dana": 2, "nobody": 1}
    assert handover.median_to_acknowledge == 20 * 60 and handover.median_to_resolve == (2 * 3600 + 30 * 60) / 2
    assert handover.since == "2026-12-01T00:00:00Z" and handover.until == "2026-12-01T08:00:00Z"


def test_nothing_known_is_said_as_nothing_not_as_zero():
    handover = summarise([incident("x", "P2", 40)], now=NOW, window=timedelta(hours=8))
    assert handover.opened == [] and handover.median_to_acknowledge is None and handover.median_to_resolve is None
