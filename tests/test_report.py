"""Where a handover's incidents come from: a recording (with its assignments), or the server."""

import json

from incident_cli.recorded import Skipped
from incident_cli.report import ASSIGNED_UNNAMED, from_recording


def record(kind, data, incident_id=None, at="2026-12-01T01:00:00Z"):
    return json.dumps({"v": 1, "kind": kind, "subscription": "x", "received_at": at, "incident_id": incident_id,
                       "severity": "P1", "data": data})


def test_a_recording_gives_the_last_description_the_states_reached_and_the_first_assignment():
    lines = [
        record("incident", {"id": "a", "severity": "P1", "title": "db", "state": "NEW", "createdAt": "2026-12-01T00:00:00Z"}),
        record("update", {"incidentId": "a", "updateType": "ASSIGNED", "timestamp": "2026-12-01T00:05:00Z"}, "a"),
        record("update", {"incidentId": "a", "updateType": "ASSIGNED", "timestamp": "2026-12-01T00:09:00Z"}, "a"),
        record("state_change", {"incidentId": "a", "newState": "RESOLVED", "timestamp": "2026-12-01T00:30:00Z"}, "a"),
        record("state_change", {"incidentId": "zz", "newState": "RESOLVED"}, "zz"),  # never described: no incident
        "",
    ]
    incidents, assigned = from_recording(enumerate(lines, 1))
    (only,) = incidents
    assert only.state == "RESOLVED" and only.resolved_at == "2026-12-01T00:30:00Z"
    assert only.assigned_to == ASSIGNED_UNNAMED  # an ASSIGNED update names nobody
    assert assigned["a"].isoformat() == "2026-12-01T00:05:00+00:00"


def test_a_line_that_is_no_record_is_skipped_and_counted_and_the_rest_used():
    skipped = Skipped()
    incidents, _ = from_recording(enumerate([record("incident", {"id": "a"}), "not json", "{" * 100_000], 1), skipped)
    assert [incident.id for incident in incidents] == ["a"] and (skipped.count, skipped.first) == (2, 2)


def test_times_of_the_wrong_type_in_a_recording_are_unknown_times_not_a_crash():
    lines = [
        record("incident", {"id": "a", "severity": "P1", "title": "db", "createdAt": ["2026"]}),
        record("update", {"incidentId": "a", "updateType": "ASSIGNED", "timestamp": {"t": 1}}, "a"),
        record("update", {"incidentId": "a", "updateType": "ASSIGNED", "timestamp": 7}, "a", at=12),
    ]
    incidents, assigned = from_recording(enumerate(lines, 1))
    assert [incident.id for incident in incidents] == ["a"]
    assert assigned["a"].isoformat() == "2026-12-01T01:00:00+00:00"  # the record's own time, the first one's
