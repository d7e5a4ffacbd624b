import json
from datetime import UTC, datetime

from incident_cli import model
from incident_cli.envelope import ENVELOPE_VERSION, Stamps, envelope, stamp, status_record
from incident_cli.memory import Memory

NOW = datetime(2026, 11, 27, 12, 0, 1, 250000, tzinfo=UTC)


def test_envelope_shape_is_pinned():
    data = {"id": "i1", "severity": "P1", "title": "t", "unknownField": [1]}
    event = model.stream_event("newIncidents", {"newIncidents": data}, NOW)
    assert envelope(event) == {
        "v": 1,
        "kind": "incident",
        "subscription": "newIncidents",
        "received_at": "2026-11-27T12:00:01.250000Z",
        "incident_id": "i1",
        "severity": "P1",
        "data": data,
    }
    assert ENVELOPE_VERSION == 1


def test_records_about_an_incident_carry_what_the_memory_knows_and_nothing_when_it_knows_nothing():
    memory = Memory()
    seen = model.stream_event("newIncidents", {"newIncidents": {"id": "i1", "severity": "P1", "title": "disk",
                                                                "state": "NEW", "assignedTo": "ann",
                                                                "labels": [{"key": "team", "value": "db"}]}}, NOW)
    memory.observe(seen)
    update = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "i1", "updateType": "COMMENT"}}, NOW)
    record = envelope(update, memory)
    assert (record["title"], record["state"], record["owner"], record["team"]) == ("disk", "NEW", "ann", "db")
    assert list(record) == ["v", "kind", "subscription", "received_at", "incident_id", "severity", "title", "state",
                            "owner", "team", "data"]  # the order jq users see, and the fast lane builds
    other = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "i2", "updateType": "COMMENT"}}, NOW)
    assert [envelope(other, memory)[key] for key in ("title", "state", "owner", "team")] == [None] * 4
    alert = model.stream_event("alerts", {"alerts": {"id": "a1", "severity": "P0"}}, NOW)
    assert "title" not in envelope(alert, memory)  # not about one incident


def test_stamps_format_once_per_moment_compared_by_value_not_identity():
    stamps = Stamps()
    first = stamps.text(NOW)
    assert first == stamp(NOW) == "2026-11-27T12:00:01.250000Z"
    same = datetime(2026, 11, 27, 12, 0, 1, 250000, tzinfo=UTC)  # another object, the same moment
    assert stamps.text(same) is first
    later = datetime(2026, 11, 27, 12, 0, 1, 251000, tzinfo=UTC)
    assert stamps.text(later) == "2026-11-27T12:00:01.251000Z"


def test_every_status_event_has_a_record_name():
    import typing

    events = {
        model.Connected: model.Connected(server="s", subprotocol="p", attempt=1, downtime=2.5),
        model.Reconnecting: model.Reconnecting(reason="r", attempt=2, delay=1.0),
        model.GapRepaired: model.GapRepaired(downtime=2.5, repaired=3),
        model.RunCoverage: model.RunCoverage(duration=5.0, connected=4.0, disconnects=1, partial=True),
        model.OutputDropped: model.OutputDropped(count=4, total=9),
        model.ServerWarning: model.ServerWarning(subscription="x", messages=("m",)),
        model.ClientWarning: model.ClientWarning(message="m"),
        model.OperationEnded: model.OperationEnded(subscription="x", remaining=("y",)),
        model.Resubscribing: model.Resubscribing(subscription="x", reason="r", attempt=1, delay=1.0),
        model.CredentialsRefreshed: model.CredentialsRefreshed(expires_at=None),
        model.Notice: model.Notice(message="m"),
    }
    assert set(events) == set(typing.get_args(model.StatusEvent))  # a new kind needs a row here
    for event in events.values():
        assert json.dumps(status_record(event, NOW))
