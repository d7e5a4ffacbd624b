import dataclasses
from datetime import UTC, datetime

import pytest

from incident_cli import model

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_incident_event_keeps_raw_data_and_parses_fields():
    data = {"newIncidents": {"id": "a", "title": "db down", "severity": "P0", "state": "TRIAGED", "extra": 1}}
    event = model.stream_event("newIncidents", data, NOW)
    assert isinstance(event, model.IncidentSeen)
    assert event.data == data["newIncidents"]  # unknown fields pass through
    assert event.incident == model.Incident(id="a", title="db down", severity="P0", state="TRIAGED")
    assert event.severity == "P0" and event.incident_id == "a" and event.kind == "incident"


@pytest.mark.parametrize(
    "labels",
    [{"team": "sre", "tier": "1"}, [{"key": "team", "value": "sre"}, {"key": "tier", "value": 1}]],
)
def test_labels_map_or_key_value_list(labels):
    incident = model.Incident.from_data({"id": "a", "labels": labels})
    assert incident.labels == {"team": "sre", "tier": "1"}


def test_missing_and_wrongly_typed_fields_never_crash():
    incident = model.Incident.from_data(
        {"id": None, "title": {"x": 1}, "affectedResources": "not-a-list", "labels": "junk", "severity": 3}
    )
    assert incident.id is None and incident.title is None
    assert incident.affected_resources == () and incident.labels == {} and incident.severity == "3"


def test_update_heartbeat_state_change_alert():
    update = model.stream_event("incidentUpdates", {"incidentUpdates": {"updateType": "ASSIGNED", "incidentId": "i"}}, NOW)
    assert isinstance(update, model.IncidentUpdated) and update.incident_id == "i"
    beat = model.stream_event("incidentUpdates", {"incidentUpdates": {"updateType": "HEARTBEAT", "incidentId": None}}, NOW)
    assert isinstance(beat, model.Heartbeat) and beat.kind == "heartbeat"
    change = model.stream_event(
        "incidentStateChanges", {"incidentStateChanges": {"incidentId": "i", "oldState": "NEW", "newState": "X"}}, NOW
    )
    assert isinstance(change, model.StateChanged) and change.change.new_state == "X"
    alert = model.stream_event("alerts", {"alerts": {"id": "z", "severity": "P2", "title": "t"}}, NOW)
    assert isinstance(alert, model.AlertReceived) and alert.severity == "P2"


@pytest.mark.parametrize(
    "data",
    [
        {"a": 1, "b": 2},
        {"newIncidents": None},
        {"criticalIncidents": {"incidents": [], "pageInfo": {}}},  # the query, not the subscription
        [1, 2],
        {"somethingElse": {"id": "x"}},
    ],
)
def test_anything_else_is_a_plain_data_event(data):
    event = model.stream_event("custom", data, NOW)
    assert type(event) is model.StreamEvent and event.data == data and event.kind == "data"


def test_error_messages_from_any_shape():
    assert model.error_messages([{"message": "a"}, {"nope": 1}, "b"]) == ("a", "unknown error", "b")
    assert model.error_messages({"message": "single"}) == ("single",)
    assert model.error_messages(None) == ()


def test_every_kind_of_event_carries_the_scope_of_its_operation():
    scope = model.Scope(wanted=frozenset({"P0"}), within=frozenset({"P0", "P1"}))
    results = [
        ("newIncidents", {"newIncidents": {"id": "a", "severity": "P0", "title": "t"}}),
        ("incidentUpdates", {"incidentUpdates": {"updateType": "ASSIGNED", "incidentId": "i"}}),
        ("incidentUpdates", {"incidentUpdates": {"updateType": "HEARTBEAT", "incidentId": None}}),
        ("incidentStateChanges", {"incidentStateChanges": {"incidentId": "i", "oldState": "OPEN", "newState": "ACK"}}),
        ("alerts", {"alerts": {"id": "z", "severity": "P2", "title": "t"}}),
        ("custom", {"a": 1, "b": 2}),
    ]
    events = [model.stream_event(label, data, NOW, scope) for label, data in results]
    assert len({type(e) for e in events}) == len(results)  # one of each kind
    assert all(e.scope is scope for e in events)
    assert model.stream_event("custom", {"a": 1}, NOW).scope == model.UNSCOPED


def test_the_scope_is_not_part_of_an_events_identity():
    data = {"newIncidents": {"id": "a", "severity": "P0", "title": "t"}}
    scoped = model.stream_event("newIncidents", data, NOW, model.Scope(wanted=frozenset({"P0"})))
    assert scoped == model.stream_event("newIncidents", data, NOW)


def test_an_incident_made_on_the_hot_path_is_the_one_its_dataclass_would_make():
    from datetime import UTC, datetime

    from incident_cli import model

    now = datetime.now(UTC)
    scope = model.Scope(wanted=frozenset({"P1"}))
    data = {"id": "a1", "severity": "P1", "title": "db down"}
    fast = model.stream_event("criticalIncidents", {"criticalIncidents": data}, now, scope)
    made = model.IncidentSeen(subscription="criticalIncidents", received_at=now, data=data, severity="P1", scope=scope)
    assert type(fast) is model.IncidentSeen and fast == made and repr(fast) == repr(made)
    assert (fast.source, fast.scope, fast.incident_id, fast.incident.title) == (None, scope, "a1", "db down")
    for odd_id in (7, None, "", ["x"]):  # the id the fast path gives is the one the property would
        odd = {"id": odd_id, "severity": "P1"}
        lazy = model.IncidentSeen(subscription="criticalIncidents", received_at=now, data=odd, severity="P1")
        assert model.stream_event("criticalIncidents", {"criticalIncidents": odd}, now).incident_id == lazy.incident_id
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.severity = "P0"  # still frozen


def test_times_padded_on_the_fast_path_are_what_parsing_them_gives():
    import random
    from datetime import UTC

    from incident_cli.records import _stamp, parse_time

    def parsed(text):  # the one form, by parsing every time
        value = parse_time(text)
        return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z") if value else text

    rng = random.Random(16)
    samples = ["2026-11-27T17:25:09.118Z", "2026-11-27T17:25:09Z", "2026-11-27T17:25:09.1234567Z", "2026-02-30T17:25:09Z",
               "2026-11-27T24:00:00Z", "2026-11-27T17:25:09.Z", "2026-11-27T17:25:09.1\u0661Z", "2026-11-27t17:25:09Z",
               "2026-11-27T17:25:09.5+02:00", "not a time", "Z", "", "2026-11-27 17:25:09Z", "2026-11-27T17:25:60Z"]
    samples += [f"20{rng.randint(0, 99):02d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T{rng.randint(0, 24):02d}:"
                f"{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}{rng.choice(['', '.1', '.123', '.123456', '.12'])}Z"
                for _ in range(3000)]
    for text in samples:
        assert _stamp(text) == parsed(text), text


def test_an_event_with_a_severity_found_for_it_is_the_one_replace_would_make():
    from datetime import UTC, datetime

    from incident_cli import model

    now = datetime.now(UTC)
    event = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "a", "updateType": "ASSIGNED"}}, now,
                               model.Scope(wanted=frozenset({"P1"})))
    copied = model.with_severity(event, "P1")
    assert copied == dataclasses.replace(event, severity="P1") and type(copied) is model.IncidentUpdated
    assert (copied.severity, event.severity, copied.incident_id, copied.scope) == ("P1", None, "a", event.scope)


def test_a_time_that_is_not_text_is_no_time_and_a_parsed_one_is_the_same_when_asked_again():
    from incident_cli.model import parse_time

    assert [parse_time(value) for value in (None, "", 7, 1.5, ["2026-12-01T00:00:00Z"], {"at": 1})] == [None] * 6
    first, again = parse_time("2026-12-01T00:00:00.5Z"), parse_time("2026-12-01T00:00:00.5Z")
    assert first == again and first is not None and first.microsecond == 500_000 and first.utcoffset().total_seconds() == 0


def test_list_fields_keep_their_text_items_in_order_and_leave_out_the_rest():
    from incident_cli import model

    incident = model.Incident.from_data({"id": "a", "affectedResources": ["db", None, {"x": 1}, 3, True, "api"]})
    assert incident.affected_resources == ("db", "3", "true", "api")
    assert model.Incident.from_data({"id": "a", "affectedResources": ["db", "api"]}).affected_resources == ("db", "api")
