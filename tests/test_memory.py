"""The incident memory: one record per incident, written once per event, bounded."""

from datetime import UTC, datetime

from incident_cli import model
from incident_cli.memory import UNKNOWN, Memory, later

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def seen(iid, **fields):
    data = {"id": iid, "title": f"title of {iid}", "state": "NEW", "createdAt": "2026-12-01T11:00:00Z", **fields}
    return model.stream_event("newIncidents", {"newIncidents": data}, NOW)


def update(iid, kind="COMMENT_ADDED", at="2026-12-01T12:01:00Z"):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": iid, "updateType": kind,
                                                                      "timestamp": at}}, NOW)


def change(iid, new, at="2026-12-01T12:02:00Z"):
    return model.stream_event("incidentStateChanges", {"incidentStateChanges": {
        "incidentId": iid, "oldState": "NEW", "newState": new, "timestamp": at}}, NOW)


def test_a_description_gives_title_owner_team_state_and_time():
    memory = Memory()
    memory.observe(seen("a", assignedTo="dana", labels={"team": "payments", "env": "prod"}))
    known = memory.get("a")
    assert known.title == "title of a" and known.state == "NEW" and known.updated == "2026-12-01T11:00:00Z"
    assert known.assignee == "dana" and known.team == "payments"
    assert memory.title("a") == "title of a" and memory.title("b") is None and memory.title(None) is None


def test_labels_as_a_list_of_pairs_give_the_team_too():
    memory = Memory()
    memory.observe(seen("a", labels=[{"key": "env", "value": "prod"}, {"key": "team", "value": "search"}]))
    assert memory.get("a").team == "search"


def test_later_descriptions_replace_earlier_ones():
    memory = Memory()
    memory.observe(seen("a", assignedTo="dana", labels={"team": "payments"}))
    memory.observe(seen("a", title="renamed"))  # unassigned since, and no longer labelled
    known = memory.get("a")
    assert known.assignee is None and known.team is None and known.title == "renamed"


def test_updates_and_changes_move_state_and_time_forward_only():
    memory = Memory()
    memory.observe(seen("a"))
    memory.observe(change("a", "INVESTIGATING"))
    memory.observe(update("a", at="2026-12-01T11:30:00Z"))  # older than what was seen: time stays
    known = memory.get("a")
    assert known.state == "INVESTIGATING" and known.updated == "2026-12-01T12:02:00Z"
    memory.observe(update("a", kind="RESOLVED", at="2026-12-01T12:05:00+00:00"))
    assert known.state == "RESOLVED" and known.updated == "2026-12-01T12:05:00+00:00"


def test_events_without_an_incident_leave_no_record():
    memory = Memory()
    memory.observe(update(None, kind="HEARTBEAT"))
    memory.observe(model.stream_event("custom", {"a": 1, "b": 2}, NOW))
    memory.observe(model.stream_event("custom", {"a": [1, 2]}, NOW))
    assert len(memory) == 0


def test_the_least_recently_used_are_forgotten_past_capacity():
    memory = Memory(capacity=3)
    for iid in "abc":
        memory.observe(seen(iid))
    memory.observe(update("a"))  # a is used again: b is now the oldest
    memory.observe(seen("d"))
    assert [iid for iid, _ in memory] == ["c", "a", "d"]
    assert memory.get("b") is None and len(memory) == 3


def test_reading_does_not_count_as_a_use():
    memory = Memory(capacity=2)
    memory.observe(seen("a"))
    memory.observe(seen("b"))
    memory.get("a")
    memory.observe(seen("c"))
    assert memory.get("a") is None and memory.get("b") is not None


def test_the_server_it_came_from_is_kept_when_several_share_the_memory():
    memory = Memory()
    memory.observe(seen("a"), "eu")
    memory.observe(seen("b"), "us")
    assert memory.get("a").source == "eu" and memory.get("b").source == "us"


def test_severity_is_kept_beside_the_rest():
    memory = Memory()
    memory.entry("a").severity = UNKNOWN
    memory.observe(seen("a"))
    assert memory.get("a").severity == UNKNOWN and memory.title("a") == "title of a"


def test_times_compare_as_times_whatever_their_form():
    assert later("2026-12-01T12:00:01Z", "2026-12-01T12:00:00Z")
    assert later("2026-12-01T13:00:00+01:00", "2026-12-01T11:59:00Z")
    assert not later("2026-12-01T13:00:00+01:00", "2026-12-01T12:00:00Z")
    assert later("2026-12-01T12:00:00Z", None) and not later(None, "2026-12-01T12:00:00Z")


def test_an_empty_memory_is_still_a_memory():
    assert Memory() and len(Memory()) == 0  # `memory or Memory()` must never make a second one


def test_labels_are_read_again_whenever_they_differ_and_odd_values_become_text():
    memory = Memory()
    memory.observe(seen("a", labels={"team": "payments"}, assignedTo=None))
    memory.observe(seen("a", labels={"team": "payments"}, title=7))  # the same labels: kept as they were
    known = memory.get("a")
    assert (known.team, known.labels, known.title, known.assignee) == ("payments", {"team": "payments"}, "7", None)
    memory.observe(seen("a", labels=[{"key": "team", "value": "sre"}, {"key": "tier", "value": 1}]))
    assert (memory.get("a").team, memory.get("a").labels) == ("sre", {"team": "sre", "tier": "1"})
    memory.observe(seen("a", labels={"tier": 1}))  # differs from what was normalised: read again
    assert (memory.get("a").team, memory.get("a").labels) == (None, {"tier": "1"})
    memory.observe(seen("a"))  # no labels at all
    assert (memory.get("a").team, memory.get("a").labels) == (None, {})
