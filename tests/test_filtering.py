from datetime import datetime, timezone

from incident_cli import model
from incident_cli.filtering import MATCHED, UNKNOWN, Decision, SeverityIndex

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
P01 = frozenset({"P0", "P1"})


def incident(iid, severity):
    return model.stream_event("newIncidents", {"newIncidents": {"id": iid, "severity": severity}}, NOW)


def change(iid):
    return model.stream_event("incidentStateChanges", {"incidentStateChanges": {"incidentId": iid}}, NOW)


def update(iid):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": iid, "updateType": "ASSIGNED"}}, NOW)


def test_incidents_teach_severities_and_filter_themselves():
    index = SeverityIndex()
    assert index.decide(incident("a", "P0"), None) is Decision.KEEP
    assert index.decide(incident("b", "P3"), P01) is Decision.DROP
    assert index.severity_of("a") == "P0" and index.severity_of("b") == "P3"
    assert index.decide(change("a"), P01) is Decision.KEEP
    assert index.decide(change("b"), P01) is Decision.DROP


def test_unknown_incident_needs_a_lookup_then_decides():
    index = SeverityIndex()
    assert index.decide(change("x"), P01) is Decision.LOOKUP
    index.learn("x", "P4")
    assert index.decide(change("x"), P01) is Decision.DROP
    index.learn("y", UNKNOWN)  # the server does not know it
    assert index.decide(change("y"), P01) is Decision.DROP
    assert index.decide(change("y"), None) is Decision.KEEP


def test_server_filtered_stream_marks_match_and_asks_for_the_exact_severity():
    index = SeverityIndex()
    assert index.decide(update("u"), None) is Decision.LOOKUP
    assert index.severity_of("u") is None and len(index) == 1
    # without a lookup, a matched incident passes the client-side filter
    assert index.undecided("u", P01) is Decision.KEEP
    index.learn("u", "P1")
    index.learn("u", MATCHED)  # an exact severity is not overwritten
    assert index.severity_of("u") == "P1"
    assert index.decide(change("u"), P01) is Decision.KEEP


def test_undecided_keeps_unless_proven_mismatch():
    index = SeverityIndex()
    index.learn("low", "P4")
    assert index.undecided("new", P01) is Decision.KEEP
    assert index.undecided("low", P01) is Decision.DROP
    assert index.undecided("low", None) is Decision.KEEP


def test_heartbeats_and_alerts():
    index = SeverityIndex()
    beat = model.stream_event("incidentUpdates", {"incidentUpdates": {"updateType": "HEARTBEAT"}}, NOW)
    assert index.decide(beat, P01) is Decision.KEEP
    alert = model.stream_event("alerts", {"alerts": {"id": "z", "severity": "P3"}}, NOW)
    assert index.decide(alert, P01) is Decision.DROP


def test_bounded_memory():
    index = SeverityIndex(capacity=100)
    for n in range(1000):
        index.learn(f"id{n}", "P2")
    assert len(index) == 100 and index.severity_of("id999") == "P2" and index.severity_of("id0") is None
