"""The incident memory: one record per incident, written once per event, bounded."""

import dataclasses
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_cli import model
from incident_cli.memory import UNKNOWN, Memory, Shown, later

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
    assert memory.get("b") is None and memory.get(None) is None


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


def test_the_same_id_on_two_servers_is_two_incidents():
    memory = Memory()
    memory.scoped("eu").observe(seen("a", title="eu's a", state="NEW"))
    memory.scoped("us").observe(seen("a", title="us's a", state="RESOLVED"))
    assert memory.scoped("eu").get("a").title == "eu's a" and memory.scoped("us").get("a").state == "RESOLVED"
    assert memory.get("a") is None  # the one-server scope knows neither
    assert [iid for iid, _ in memory.scoped("eu")] == ["a"] and list(memory) == []
    assert memory.scoped("eu") is memory.scoped("eu") and memory.scoped("eu").scoped(None) is memory


def test_an_event_tagged_with_its_server_is_kept_and_found_under_it():
    memory = Memory()
    tagged = dataclasses.replace(seen("a", title="from eu"), source="eu")
    memory.observe(tagged)  # an output of several servers observes events the watch tagged
    assert memory.get("a") is None and memory.scoped("eu").get("a").title == "from eu"
    assert memory.about(tagged).title == "from eu" and memory.about(seen("a")) is None
    memory.scoped("eu").forget("a")
    assert memory.about(tagged) is None


def test_servers_share_one_bound():
    memory = Memory(capacity=2)
    memory.scoped("eu").observe(seen("a"))
    memory.scoped("us").observe(seen("a"))
    memory.scoped("us").observe(seen("b"))
    assert memory.scoped("eu").get("a") is None and len(memory) == 2


def test_a_memory_that_feeds_views_keeps_what_the_table_shows_and_a_compact_one_does_not():
    data = {"incidentType": "latency", "affectedResources": ["db-1", "db-2"], "description": "slow",
            "createdAt": "2026-12-01T11:00:00Z", "resolvedAt": "2026-12-01T11:30:00Z"}
    memory = Memory(views=True)
    memory.observe(seen("a", **data))
    shown = memory.get("a")
    assert (shown.kind, shown.resources, shown.description) == ("latency", ("db-1", "db-2"), "slow")
    assert shown.opened == datetime(2026, 12, 1, 11, 0, tzinfo=UTC) and shown.resolved.minute == 30
    memory.observe(seen("a", title="renamed"))  # a description without them keeps what was known
    assert (shown.kind, shown.resources, shown.description, shown.title) == ("latency", ("db-1", "db-2"), "slow", "renamed")
    compact = Memory()
    compact.observe(seen("a", **data))
    assert not hasattr(compact.get("a"), "description") and compact.get("a").title == "title of a"


def test_severity_is_kept_beside_the_rest():
    memory = Memory()
    memory.entry("a").severity = UNKNOWN
    memory.observe(seen("a"))
    assert memory.get("a").severity == UNKNOWN and memory.get("a").title == "title of a"


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


scalars = st.one_of(st.none(), st.text(max_size=8), st.integers(), st.booleans(), st.floats(allow_nan=False),
                    st.sampled_from(["2026-12-01T11:00:00Z", "2026-12-01T11:00:00.123456789+02:00", "yesterday", ""]))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=3), scalars, max_size=2))
descriptions = st.fixed_dictionaries({}, optional={key: values for key in (
    "title", "assignedTo", "labels", "incidentType", "source", "affectedResources", "description", "createdAt", "resolvedAt")})


@settings(max_examples=300, deadline=None)
@given(first=descriptions, second=descriptions)
def test_what_a_view_memory_keeps_is_what_the_model_reads_from_the_same_description(first, second):
    shown = Shown()
    for data in (first, second):
        shown.describe(data)
    incidents = [model.Incident.from_data(data) for data in (first, second)]

    def latest(read):
        values = [read(incident) for incident in incidents]
        return values[1] or values[0] or None

    assert shown.kind == latest(lambda incident: incident.incident_type or incident.source)
    assert shown.resources == (latest(lambda incident: incident.affected_resources) or ())
    assert shown.description == next((i.description for i in reversed(incidents) if i.description is not None), None)
    assert shown.opened == latest(lambda incident: model.parse_time(incident.created_at))
    assert shown.resolved == latest(lambda incident: model.parse_time(incident.resolved_at))
