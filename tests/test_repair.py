from datetime import UTC, datetime

from incident_cli import model
from incident_cli.memory import Memory
from incident_cli.repair import active_ids, changed

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def seen(iid, state="NEW", updated="2026-11-27T12:00:00Z"):
    data = {"id": iid, "state": state, "updatedAt": updated, "createdAt": "2026-11-27T11:00:00Z"}
    return model.stream_event("newIncidents", {"newIncidents": data}, NOW)


def listed(iid, state="NEW", updated="2026-11-27T12:00:00Z"):
    return model.Incident.from_data({"id": iid, "state": state, "updatedAt": updated})


def test_known_unchanged_is_not_news():
    memory = Memory()
    memory.observe(seen("a"))
    assert not changed(memory, listed("a"))
    assert not changed(memory, listed("a", updated="2026-11-27T11:59:00Z"))  # older than what we saw


def test_unknown_other_state_or_newer_update_is_news():
    memory = Memory()
    memory.observe(seen("a"))
    assert changed(memory, listed("b"))
    assert changed(memory, listed("a", state="INVESTIGATING"))
    assert changed(memory, listed("a", updated="2026-11-27T12:05:00+00:00"))


def test_an_incident_known_only_by_its_severity_is_news():
    memory = Memory()
    memory.entry("a").severity = "P1"  # a lookup's severity, no state or time seen
    assert changed(memory, listed("a")) and active_ids(memory) == set()


def test_stream_updates_and_state_changes_move_what_we_know():
    memory = Memory()
    memory.observe(seen("a"))
    memory.observe(model.stream_event("incidentStateChanges", {"incidentStateChanges": {
        "incidentId": "a", "oldState": "NEW", "newState": "MONITORING", "timestamp": "2026-11-27T12:03:00Z"}}, NOW))
    assert not changed(memory, listed("a", state="MONITORING", updated="2026-11-27T12:03:00Z"))
    assert active_ids(memory) == {"a"}
    memory.observe(model.stream_event("incidentUpdates", {"incidentUpdates": {
        "incidentId": "a", "updateType": "RESOLVED", "timestamp": "2026-11-27T12:04:00Z"}}, NOW))
    assert active_ids(memory) == set()


def test_active_ids_in_a_bounded_memory():
    memory = Memory(capacity=50)
    for n in range(200):
        memory.observe(seen(f"i{n}", state="RESOLVED" if n % 2 else "NEW"))
    assert len(memory) == 50
    assert active_ids(memory) == {f"i{n}" for n in range(150, 200) if n % 2 == 0}


def test_each_server_repairs_only_what_it_told_of():
    memory = Memory()
    memory.scoped("eu").observe(seen("a"))
    memory.scoped("us").observe(seen("b"))
    assert active_ids(memory.scoped("eu")) == {"a"} and active_ids(memory.scoped("us")) == {"b"}
    assert active_ids(memory) == set()
