"""fast_lane.py: the common result straight to its record, held byte-identical to the general
route (event, triage, Write, envelope) by a property test over generated, hostile streams."""

import dataclasses
from datetime import UTC, datetime

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.envelope import envelope
from incident_cli.fast_lane import NOT_TAKEN, FastLane
from incident_cli.incident_filter import IncidentFilter
from incident_cli.memory import Memory
from incident_cli.one_record import OneRecord
from incident_cli.render.jsonl import JsonLinesRenderer
from incident_cli.tracking import CheckIds, Done, LookUp, ReadList, Records, Report, Reread, Snapshot, Tracker, Write
from incident_cli.watch import WatchRequest

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
T0_AGAIN = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # the same moment, another object
T1 = datetime(2026, 12, 6, 3, 0, 0, 1000, tzinfo=UTC)
P0_P1 = frozenset({"P0", "P1"})
CONNECTED = model.Connected(server="ws://h", subprotocol="graphql-transport-ws", attempt=1)
AGAIN = model.Connected(server="ws://h", subprotocol="graphql-transport-ws", attempt=2, downtime=4.0)


def incident(iid="a", severity="P1", **more):
    return {"id": iid, "title": f"t {iid}", "severity": severity, "state": "NEW", "updatedAt": "2026-12-06T02:00:00Z",
            **more}


def result(value, root="newIncidents", label=None, scope=model.UNSCOPED, at=T0):
    return model.Result(label or root, {root: value}, at, scope)


def request(streams=("new", "updates", "state-changes"), severities=(), **more):
    operations = [ops.subscription(name, severities=severities) for name in streams]
    return WatchRequest(operations=operations, severities=severities, **{"repair": False, **more})


class Lines:
    """A LineSink that keeps what it is given."""

    def __init__(self):
        self.lines = []

    def put(self, line, keep=False):
        self.lines.append(line)

    def take_dropped(self):
        return 0


# ---- the lane, whole values -------------------------------------------------------------------


def test_a_new_incident_becomes_the_record_the_envelope_would_write_and_the_memory_learns_it():
    memory = Memory()
    lane = FastLane(memory)
    value = incident("a", "P0", assignedTo="ann", labels=[{"key": "team", "value": "db"}])
    record = lane.take(result(value))
    known = memory.get("a")
    assert (known.severity, known.title, known.state, known.assignee, known.team) == ("P0", "t a", "NEW", "ann", "db")
    event = result(value).event()
    assert record == envelope(event, memory) and list(record) == list(envelope(event, memory))
    assert lane.taken == 1


def test_the_severity_filter_drops_in_the_lane_after_the_memory_learned():
    memory = Memory()
    lane = FastLane(memory)
    assert lane.take(result(incident("a", "P3"), scope=model.Scope(wanted=P0_P1))) is None
    assert memory.get("a").severity == "P3"  # what it taught stays: an update about it is decided from it


def test_an_update_or_a_state_change_about_an_incident_of_known_severity_is_the_lanes_too():
    memory = Memory()
    lane = FastLane(memory, one_record=OneRecord(frozenset({"newIncidents", "incidentStateChanges"})))
    lane.take(result(incident("a", "P0", assignedTo="ann")))
    comment = result({"incidentId": "a", "updateType": "COMMENT", "timestamp": "2026-12-06T02:30:00Z"},
                     root="incidentUpdates")
    record = lane.take(comment)
    general = model.with_severity(comment.event(), "P0")  # what the tracker writes: the severity it knows
    assert record == envelope(general, memory) and record["kind"] == "update" and record["owner"] == "ann"
    change = result({"incidentId": "a", "oldState": "NEW", "newState": "INVESTIGATING",
                     "timestamp": "2026-12-06T02:40:00Z"}, root="incidentStateChanges")
    record = lane.take(change)
    assert record["kind"] == "state_change" and record["state"] == "INVESTIGATING" == memory.get("a").state
    # The update that says the same change as the state change is left out, as the general route does.
    said = result({"incidentId": "a", "updateType": "STATE_CHANGED", "timestamp": "2026-12-06T02:40:00Z"},
                  root="incidentUpdates")
    assert lane.take(said) is None and lane.taken == 4
    # Not known (a lookup), a heartbeat, an owner to re-read: the general route's.
    unknown = result({"incidentId": "zz", "updateType": "COMMENT"}, root="incidentUpdates")
    beat = result({"incidentId": "a", "updateType": "HEARTBEAT"}, root="incidentUpdates")
    assigned = result({"incidentId": "a", "updateType": "ASSIGNED"}, root="incidentUpdates")
    assert lane.take(unknown) is lane.take(beat) is NOT_TAKEN
    assert FastLane(memory, follow_owners=True).take(assigned) is NOT_TAKEN


def test_what_is_not_the_common_case_is_left_to_the_general_route():
    lane = FastLane(Memory())
    for odd in (
        result({"incidentId": "a", "updateType": "COMMENT"}, root="incidentUpdates"),  # an update
        model.Result("custom", {"newIncidents": incident(), "other": 1}, T0),  # two roots
        model.Result("custom", [incident()], T0),
        result(incident(severity=None)), result(incident(severity=3)), result(incident(severity="unknown")),
        result(incident(iid="")), result(incident(iid=7)), result({**incident(), "incidents": []}),
        result("not an object"),
    ):
        assert lane.take(odd) is NOT_TAKEN
    assert lane.taken == 0


def test_the_tracker_gathers_the_lanes_records_in_one_action_until_something_else_comes():
    tracking = Tracker(request(), Memory(), records=True)
    for iid in "ab":
        tracking.receive_result(result(incident(iid)))
    tracking.receive_result(result({"id": "al1", "severity": "P1", "message": "m"}, root="alerts"))  # not the lane's
    tracking.receive_result(result(incident("c")))
    actions = tracking.actions_to_take()
    assert [type(action) for action in actions] == [Records, Write, Records]
    assert [r["incident_id"] for r in actions[0].records] == ["a", "b"] and actions[2].records[0]["incident_id"] == "c"
    assert tracking.written == 4


def test_the_lane_counts_toward_the_bounds_as_the_general_route_does():
    tracking = Tracker(request(count=2, fail_on=frozenset({"P0"})), Memory(), records=True)
    for iid, severity in (("a", "P0"), ("b", "P1"), ("c", "P0")):
        tracking.receive_result(result(incident(iid, severity)))
    actions = tracking.actions_to_take()
    assert [r["incident_id"] for r in actions[0].records] == ["a", "b"] and actions[1:] == [Done("count")]
    assert (tracking.written, tracking.alarming, tracking.finished) == (2, 1, "count")


def test_the_lane_is_closed_where_it_would_have_to_know_more_than_severity():
    memory = Memory()
    assert Tracker(request(), memory).lane is None  # an output that must see each event
    assert Tracker(request(facets=IncidentFilter(teams=frozenset({"db"}))), memory, records=True).lane is None
    assert Tracker(request(only_ids=frozenset({"a"})), memory, records=True).lane is None
    # While an incident is looked up, what comes about it takes the general route (it waits behind
    # the lookup); other incidents keep the lane.
    tracking = Tracker(request(severities=("P0", "P1")), memory, records=True)
    tracking.receive_result(result({"incidentId": "x", "updateType": "COMMENT"}, root="incidentUpdates"))
    tracking.receive_result(result(incident("b", "P0")))
    tracking.receive_result(result(incident("x", "P0")))
    actions = tracking.actions_to_take()
    assert actions[0] == LookUp("x") and isinstance(actions[1], Records) and len(actions) == 2
    assert tracking.lane.taken == 1 and len(tracking.waiting) == 1


# ---- both routes, byte for byte ---------------------------------------------------------------

IDS = ("a", "b", "c", "d", "e")
HOSTILE = ("\x1b]0;owned\x07", "[bold red]x[/]", "\u202eevil", "caf\u00e9", "\x7f", "\ud800", "")
scalar = st.one_of(st.none(), st.integers(min_value=-3, max_value=2**70), st.booleans(), st.sampled_from(HOSTILE),
                   st.text(max_size=6), st.just({"x": 1}), st.just([1, "y"]))
ids = st.one_of(st.sampled_from(IDS), st.sampled_from(("", None, 7, True)))
severities = st.sampled_from(("P0", "P1", "P2", "P4", "unknown", "", "p0", None, 1))
times = st.sampled_from(("2026-12-06T02:00:00Z", "2026-12-06T01:00:00Z", "2026-12-06T02:30:00.5Z",
                         "2026-12-06T02:00:00+01:00", "yesterday", None, 5))
labels = st.sampled_from((None, [{"key": "team", "value": "db"}], [{"key": "team", "value": "web"}, {"key": "env"}],
                          "team=db", [1], []))
incidents = st.fixed_dictionaries({"id": ids, "severity": severities}, optional={
    "title": scalar, "state": st.one_of(st.sampled_from(("NEW", "INVESTIGATING", "RESOLVED")), scalar),
    "updatedAt": times, "createdAt": times, "assignedTo": scalar, "labels": labels, "incidents": st.just([]),
    "big": st.just(2**70),
})
common = st.fixed_dictionaries({  # what a server sends nearly always: the lane's case
    "id": st.sampled_from(IDS), "severity": st.sampled_from(("P0", "P1", "P2")),
    "title": st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), "state": st.sampled_from(("NEW", "RESOLVED")),
    "updatedAt": times, "assignedTo": st.one_of(st.none(), st.sampled_from(("ann", "\x1b[2Jbob"))), "labels": labels,
}, optional={"createdAt": times, "description": scalar})
# The common case but for one thing the lane must leave to the general route.
near = st.builds(lambda value, odd: {**value, **odd}, common,
                 st.sampled_from(({"severity": "unknown"}, {"id": ""}, {"incidents": []}, {"severity": ""})))
updates = st.fixed_dictionaries({
    "incidentId": ids, "timestamp": times,
    "updateType": st.sampled_from(("CREATED", "STATE_CHANGED", "RESOLVED", "ASSIGNED", "COMMENT", "HEARTBEAT")),
})
changes = st.fixed_dictionaries({"incidentId": ids, "oldState": scalar, "newState": scalar, "timestamp": times})
alerts = st.fixed_dictionaries({"id": ids, "severity": severities, "message": scalar})
data = st.one_of(
    st.builds(lambda root, value: {root: value}, st.sampled_from(("newIncidents", "criticalIncidents")), common),
    st.builds(lambda root, value: {root: value}, st.sampled_from(("newIncidents", "criticalIncidents", "incident")),
              st.one_of(incidents, scalar)),
    st.builds(lambda value: {"incidentUpdates": value}, updates),
    st.builds(lambda value: {"incidentStateChanges": value}, changes),
    st.builds(lambda value: {"alerts": value}, alerts),
    st.builds(lambda value: {"newIncidents": value, "other": 1}, incidents),
    st.just([1, 2]),
)
scopes = st.sampled_from((model.UNSCOPED, model.Scope(wanted=P0_P1), model.Scope(within=P0_P1),
                          model.Scope(wanted=frozenset({"P0"}), within=P0_P1)))
results = st.builds(
    lambda data, custom, scope, at: model.Result(
        "custom" if custom or not isinstance(data, dict) else next(iter(data)), data, at, scope),
    data, st.booleans(), scopes, st.sampled_from((T0, T0_AGAIN, T1)),
)
usual = st.builds(lambda root, value, scope, at: model.Result(root, {root: value}, at, scope),
                  st.sampled_from(("newIncidents", "criticalIncidents")), common | common | near, scopes,
                  st.sampled_from((T0, T1)))
usual_changes = st.builds(
    lambda root, value, scope, at: model.Result(root, {root: value}, at, scope),
    st.just("incidentUpdates"),
    st.fixed_dictionaries({"incidentId": st.sampled_from(IDS), "timestamp": times, "updateType": st.sampled_from(
        ("CREATED", "STATE_CHANGED", "RESOLVED", "ASSIGNED", "COMMENT", "ESCALATED"))}),
    scopes, st.sampled_from((T0, T1)),
) | st.builds(
    lambda root, value, scope, at: model.Result(root, {root: value}, at, scope),
    st.just("incidentStateChanges"),
    st.fixed_dictionaries({"incidentId": st.sampled_from(IDS), "timestamp": times,
                           "newState": st.one_of(st.sampled_from(("INVESTIGATING", "RESOLVED")), scalar)}),
    scopes, st.sampled_from((T0, T1)),
)
answers = st.tuples(st.just("answer"), st.integers(0, 3), st.one_of(common, st.none(), incidents))  # the Nth asked
requests = st.builds(
    lambda streams, severities, count, fail_on, raw, owners, listing: request(
        streams, severities, count=count, fail_on=fail_on, raw_streams=raw, follow_owners=owners, **listing),
    st.sampled_from((("new", "updates", "state-changes"), ("critical",), ("new", "alerts"))),
    st.sampled_from(((), ("P0", "P1"))), st.sampled_from((None, 1, 6)),
    st.sampled_from((frozenset(), frozenset({"P0"}))), st.booleans(), st.booleans(),
    st.sampled_from(({}, {"repair": True}, {"repair": True, "backfill": True})),
)
# The list query on a connection (the first to learn what is open, later ones to repair a gap),
# answered a page at a time, then its end; and after a gap, the incidents checked by id.
listing = st.one_of(
    st.tuples(st.just("connect"), st.sampled_from((CONNECTED, AGAIN))),
    st.tuples(st.just("page"), st.lists(common, max_size=3)),
    st.tuples(st.just("done"), st.lists(st.one_of(st.none(), common), max_size=3)),
)


def play(watch_request, steps, source, *, lane):
    """Both routes are this one harness: the tracker, its actions carried out as the watch does
    into a JSON-lines renderer sharing its memory (small, so incidents are forgotten too)."""
    memory = Memory(capacity=3).scoped(source)  # the store as one server's watch and its output see it
    tracking = Tracker(watch_request, memory, source, records=lane)
    sink = Lines()
    renderer = JsonLinesRenderer(sink, None, snapshots=True, memory=memory)
    said, asked, reads, listed, vanished = [], [], [], set(), []

    def carry_out():
        for action in tracking.actions_to_take():
            if isinstance(action, Write):
                renderer.write(action.event)
            elif isinstance(action, Records):
                renderer.write_records(action.records)
            elif isinstance(action, Snapshot):
                renderer.snapshot(action.event)
            elif isinstance(action, LookUp):
                asked.append(action.incident_id)
            elif isinstance(action, ReadList):
                reads.append(action)
                said.append(action)
            elif isinstance(action, CheckIds):
                said.append(action)
                checked = [{**found, "id": iid} if found else None for iid, found in zip(action.ids, answers, strict=False)]
                tracking.receive_checked(list(action.ids), {f"i{n}": item for n, item in enumerate(checked)}, T1, vanished)
                tracking.repair_done(action.connected, vanished, 0)
            elif isinstance(action, Report | Reread | Done):
                said.append(action)

    answers = []
    for step in steps:
        if isinstance(step, model.Result):
            tracking.receive_result(step)
        elif step[0] == "answer" and asked:
            tracking.receive_lookup(asked.pop(step[1] % len(asked)), step[2])
        elif step[0] == "connect":
            tracking.receive_connected(step[1])
        elif step[0] == "page" and reads:
            tracking.receive_page(step[1], reads[0].first, T1, listed)
        elif step[0] == "done" and reads:
            read, answers = reads.pop(0), step[1]
            tracking.listing_done(read.connected, read.first, listed, T1)
        carry_out()
    tracking.finish("completed")
    carry_out()
    known = [(iid, dataclasses.astuple(entry)) for iid, entry in memory]
    taken = tracking.lane.taken if tracking.lane is not None else 0
    return (sink.lines, said, asked, known, tracking.written, tracking.alarming, tracking.finished), taken


@settings(max_examples=1000, deadline=None)
@given(watch_request=requests, steps=st.lists(st.one_of(usual, usual_changes, answers, results, listing), min_size=1, max_size=40),
       source=st.sampled_from((None, "east")))
def test_the_fast_lane_writes_byte_for_byte_what_the_general_route_writes(watch_request, steps, source):
    general, none_taken = play(watch_request, steps, source, lane=False)
    fused, taken = play(watch_request, steps, source, lane=True)
    event(f"lane took {'none' if not taken else 'some' if taken < len(steps) / 3 else 'many'}")
    assert none_taken == 0
    assert fused == general  # the lines, what was said and asked, the memory, the counts


def test_the_property_exercises_the_lane_on_a_common_stream():
    steps = [result(incident(iid, severity), root=root, at=at)
             for iid, severity, root, at in (("a", "P0", "newIncidents", T0), ("b", "P3", "criticalIncidents", T1),
                                             ("a", "P1", "newIncidents", T0_AGAIN))]
    general, _ = play(request(), steps, None, lane=False)
    fused, taken = play(request(), steps, None, lane=True)
    assert taken == 3 and fused == general
    assert [orjson.loads(line)["incident_id"] for line in fused[0]] == ["a", "b", "a"]


def test_what_was_held_for_an_incident_is_released_before_its_description_by_the_general_route():
    tracking = Tracker(request(severities=("P0", "P1")), Memory(), records=True)
    tracking.receive_result(result({"incidentId": "x", "updateType": "COMMENT"}, root="incidentUpdates"))
    tracking.receive_lookup("x", None)  # the server does not know it (yet): under --severity it is held
    assert "x" in tracking.held
    tracking.actions_to_take()
    tracking.receive_result(result(incident("x", "P0")))  # now described: what waited goes first
    actions = tracking.actions_to_take()
    assert [(type(a), a.event.kind) for a in actions] == [(Write, "update"), (Write, "incident")]
    assert tracking.lane.taken == 0 and "x" not in tracking.held
