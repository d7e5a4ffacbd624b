from datetime import UTC, datetime

from incident_cli import model
from incident_cli.repair import KnownIncidents

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def seen(iid, state="NEW", updated="2026-11-27T12:00:00Z"):
    data = {"id": iid, "state": state, "updatedAt": updated, "createdAt": "2026-11-27T11:00:00Z"}
    return model.stream_event("newIncidents", {"newIncidents": data}, NOW)


def listed(iid, state="NEW", updated="2026-11-27T12:00:00Z"):
    return model.Incident.from_data({"id": iid, "state": state, "updatedAt": updated})


def test_known_unchanged_is_not_news():
    known = KnownIncidents()
    known.observe(seen("a"))
    assert not known.changed(listed("a"))
    assert not known.changed(listed("a", updated="2026-11-27T11:59:00Z"))  # older than what we saw


def test_unknown_other_state_or_newer_update_is_news():
    known = KnownIncidents()
    known.observe(seen("a"))
    assert known.changed(listed("b"))
    assert known.changed(listed("a", state="INVESTIGATING"))
    assert known.changed(listed("a", updated="2026-11-27T12:05:00+00:00"))


def test_stream_updates_and_state_changes_move_what_we_know():
    known = KnownIncidents()
    known.observe(seen("a"))
    known.observe(model.stream_event("incidentStateChanges", {"incidentStateChanges": {
        "incidentId": "a", "oldState": "NEW", "newState": "MONITORING", "timestamp": "2026-11-27T12:03:00Z"}}, NOW))
    assert not known.changed(listed("a", state="MONITORING", updated="2026-11-27T12:03:00Z"))
    known.observe(model.stream_event("incidentUpdates", {"incidentUpdates": {
        "incidentId": "a", "updateType": "RESOLVED", "timestamp": "2026-11-27T12:04:00Z"}}, NOW))
    assert known.active_ids() == set()


def test_active_ids_and_bounded_memory():
    known = KnownIncidents(capacity=50)
    for n in range(200):
        known.observe(seen(f"i{n}", state="RESOLVED" if n % 2 else "NEW"))
    assert len(known) == 50
    assert known.active_ids() == {f"i{n}" for n in range(150, 200) if n % 2 == 0}
