from datetime import UTC, datetime

from incident_cli import model
from incident_cli.filtering import UNKNOWN, Decision, HeldBack, SeverityIndex
from incident_cli.memory import Memory

NOW = datetime(2026, 1, 1, tzinfo=UTC)
P01 = frozenset({"P0", "P1"})


def incident(iid, severity):
    return model.stream_event("newIncidents", {"newIncidents": {"id": iid, "severity": severity}}, NOW)


def change(iid):
    return model.stream_event("incidentStateChanges", {"incidentStateChanges": {"incidentId": iid}}, NOW)


def update(iid, kind="ASSIGNED"):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": iid, "updateType": kind}}, NOW)


def test_incidents_teach_severities_and_filter_themselves():
    index = SeverityIndex()
    assert index.decide(incident("a", "P0")) is Decision.KEEP
    assert index.decide(incident("b", "P3"), wanted=P01) is Decision.DROP
    assert index.severity_of("a") == "P0" and index.severity_of("b") == "P3"
    assert index.decide(change("a"), wanted=P01, strict=True) is Decision.KEEP
    assert index.decide(change("b"), wanted=P01, strict=True) is Decision.DROP


def test_unknown_incident_needs_a_lookup_then_decides():
    index = SeverityIndex()
    assert index.decide(change("x"), wanted=P01, strict=True) is Decision.LOOKUP
    index.learn("x", "P4")
    assert index.decide(change("x"), wanted=P01, strict=True) is Decision.DROP
    index.learn("y", UNKNOWN)  # the server does not know it
    assert index.decide(change("y"), wanted=P01, strict=True) is Decision.HOLD  # never shown unverified
    assert index.decide(change("y")) is Decision.KEEP  # with no filter at all there is nothing to verify
    index.learn("x", UNKNOWN)  # a later "unknown" does not erase what was learned
    assert index.severity_of("x") == "P4"


def test_a_server_filtered_stream_says_one_of_its_severities_and_the_exact_one_is_still_wanted():
    index = SeverityIndex()
    # an update from incidentUpdates(severities: [P0, P1]): P0 or P1, not which
    assert index.decide(update("u"), within=P01, strict=True) is Decision.LOOKUP
    assert index.severity_of("u") is None and len(index.memory) == 1
    # a state change about it would pass the client-side filter, but its severity is not known: ask
    assert index.decide(change("u"), wanted=P01, strict=True) is Decision.LOOKUP
    index.learn("u", "P1")
    index.learn_within("u", frozenset({"P2", "P3"}))  # an exact severity beats a range
    assert index.severity_of("u") == "P1"
    assert index.decide(change("u"), wanted=P01, strict=True) is Decision.KEEP


def test_a_range_that_misses_the_filter_drops_without_asking():
    index = SeverityIndex()
    index.learn_within("low", frozenset({"P3", "P4"}))
    assert index.decide(change("low"), wanted=P01, strict=True) is Decision.DROP
    index.learn_within("mid", frozenset({"P1", "P2"}))
    index.learn_within("mid", frozenset({"P2", "P3"}))  # ranges narrow: now P2 for sure
    assert index.decide(change("mid"), wanted=P01, strict=True) is Decision.DROP


def test_with_no_lookup_possible_a_filter_holds_back_and_no_filter_shows():
    index = SeverityIndex()
    assert index.undecided(wanted=P01, strict=True) is Decision.HOLD
    assert index.undecided(wanted=None, strict=True) is Decision.HOLD  # a server-filtered stream: exact unknown
    assert index.undecided(wanted=None, strict=False) is Decision.KEEP


def test_heartbeats_and_alerts():
    index = SeverityIndex()
    beat = model.stream_event("incidentUpdates", {"incidentUpdates": {"updateType": "HEARTBEAT"}}, NOW)
    assert index.decide(beat, wanted=P01, strict=True) is Decision.KEEP
    alert = model.stream_event("alerts", {"alerts": {"id": "z", "severity": "P3"}}, NOW)
    assert index.decide(alert, wanted=P01) is Decision.DROP


def test_bounded_memory():
    index = SeverityIndex(Memory(capacity=100))
    for n in range(1000):
        index.learn(f"id{n}", "P2")
    assert len(index.memory) == 100 and index.severity_of("id999") == "P2" and index.severity_of("id0") is None


def test_held_events_come_back_in_order_for_their_incident_only():
    held = HeldBack()
    first, second, other = update("a", "ASSIGNED"), change("a"), change("b")
    held.hold(first, P01)
    held.hold(other, None)
    held.hold(second, P01)
    assert len(held) == 3
    assert held.release("a") == [(first, P01), (second, P01)]
    assert held.release("a") == [] and len(held) == 1
    assert held.close() == 1 and len(held) == 0  # "b" was never showable


def test_held_back_is_bounded_and_counts_what_it_let_go():
    held = HeldBack(limit=10)
    for n in range(25):
        held.hold(change(f"i{n}"), P01)
    assert len(held) == 10 and held.let_go == 15
    assert held.release("i0") == [] and [e.incident_id for e, _ in held.release("i24")] == ["i24"]
    assert held.close() == 15 + 9


def test_what_it_learns_is_in_the_shared_memory_beside_the_rest():
    memory = Memory()
    memory.observe(model.stream_event("newIncidents", {"newIncidents": {"id": "a", "title": "disk", "state": "NEW"}}, NOW))
    index = SeverityIndex(memory)
    index.learn("a", "P1")
    known = memory.get("a")
    assert known is not None and known.severity == "P1" and known.title == "disk" and len(memory) == 1
