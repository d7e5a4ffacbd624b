"""tracking.py: the watch's decisions, fed and drained synchronously, compared as whole values."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.memory import Memory
from incident_cli.tracking import (
    NOT_ASKED,
    CheckIds,
    Done,
    LookUp,
    ReadList,
    Report,
    Snapshot,
    Tracker,
    Write,
    described,
)
from incident_cli.watch import WatchRequest

T0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
CONNECTED = model.Connected(server="ws://h", subprotocol="graphql-transport-ws", attempt=1)
AGAIN = model.Connected(server="ws://h", subprotocol="graphql-transport-ws", attempt=2, downtime=4.0)


def incident(iid, severity="P1", state="NEW", updated="2026-12-06T02:00:00Z"):
    return {"id": iid, "title": f"t {iid}", "severity": severity, "state": state, "updatedAt": updated}


def new(iid, severity="P1"):
    operation = ops.subscription("new")
    return model.stream_event(operation.label, {"newIncidents": incident(iid, severity)}, T0, operation.scope)


def changed(iid, old="NEW", new_state="INVESTIGATING", severities=()):
    operation = ops.subscription("state-changes", severities=severities)
    data = {"incidentId": iid, "oldState": old, "newState": new_state, "changedBy": "x", "timestamp": "2026-12-06T03:00:00Z"}
    return model.stream_event(operation.label, {"incidentStateChanges": data}, T0, operation.scope)


def tracker(streams=("new", "state-changes"), severities=(), **request):
    operations = [ops.subscription(name, severities=severities) for name in streams]
    return Tracker(WatchRequest(operations=operations, severities=severities, **request), Memory())


def test_an_event_that_passes_is_one_write_and_nothing_else():
    tracking = tracker(repair=False)
    event = new("a")
    tracking.receive_event(event)
    assert tracking.actions_to_take() == [Write(event)]
    assert tracking.actions_to_take() == []


def test_the_count_bound_is_done_once_and_nothing_is_written_past_it():
    tracking = tracker(repair=False, count=2)
    first, second = new("a"), new("b")
    for event in (first, second, new("c")):
        tracking.receive_event(event)
    assert tracking.actions_to_take() == [Write(first), Write(second), Done("count")]
    assert tracking.written == 2 and tracking.finished == "count"


def test_an_unknown_incident_is_looked_up_while_others_pass_and_its_own_events_wait_in_order():
    tracking = tracker(repair=False, severities=("P0", "P1"))
    first, second, other = changed("x"), changed("x", "INVESTIGATING", "IDENTIFIED"), new("y", "P0")
    for event in (first, second, other):
        tracking.receive_event(event)
    assert tracking.actions_to_take() == [LookUp("x"), Write(other)]
    tracking.receive_lookup("x", incident("x", "P1", "IDENTIFIED"))
    learned = described(model.Label.LOOKUP, incident("x", "P1", "IDENTIFIED"), T0)
    actions = tracking.actions_to_take()
    assert actions[0] == Snapshot(learned)
    assert [a.event.data for a in actions[1:]] == [first.data, second.data]  # in the order they came
    assert all(isinstance(a, Write) and a.event.severity == "P1" for a in actions[1:])


def test_under_a_filter_an_incident_no_lookup_could_describe_is_held_and_said_once():
    tracking = tracker(repair=False, severities=("P0",))
    tracking.receive_event(changed("x"))
    tracking.receive_event(changed("x", "INVESTIGATING", "IDENTIFIED"))
    assert tracking.actions_to_take() == [LookUp("x")]
    tracking.receive_lookup("x", NOT_ASKED, "looking it up failed: boom")
    actions = tracking.actions_to_take()
    assert len(actions) == 1 and isinstance(actions[0], Report) and "looking it up failed: boom" in actions[0].event.message
    tracking.finish("duration")
    [said] = tracking.actions_to_take()
    assert said.event.message.startswith("2 events about incidents of unknown severity not shown")


def test_backfill_shows_the_list_first_and_what_streamed_meanwhile_after_it():
    tracking = tracker(backfill=True)
    tracking.receive_connected(CONNECTED)
    assert tracking.actions_to_take() == [ReadList(CONNECTED, True)]
    early = new("b")
    tracking.receive_event(early)
    assert tracking.actions_to_take() == []  # held until the list is shown
    listed: set[str] = set()
    tracking.receive_page([incident("a")], True, T0, listed)
    tracking.listing_done(CONNECTED, True, listed, T0)
    assert tracking.actions_to_take() == [Snapshot(described(model.Label.BACKFILL, incident("a"), T0)), Write(early)]


def test_a_snapshot_run_writes_the_list_up_to_its_limit_says_the_cut_and_is_done():
    tracking = tracker(once=True, limit=1)
    tracking.receive_connected(CONNECTED)
    tracking.actions_to_take()
    tracking.receive_event(new("streamed"))  # not data in a snapshot
    listed: set[str] = set()
    tracking.receive_page([incident("a"), incident("b")], True, T0, listed)
    tracking.listing_done(CONNECTED, True, listed, T0)
    actions = tracking.actions_to_take()
    assert [type(a) for a in actions] == [Write, Report, Done]
    assert actions[0].event.incident_id == "a" and "showing 1 of 2 (--limit)" in actions[1].event.message
    assert actions[2] == Done("snapshot")


def test_after_a_reconnect_what_changed_is_repaired_and_what_left_the_list_is_checked_by_id():
    tracking = tracker()
    tracking.receive_connected(CONNECTED)
    listed: set[str] = set()
    tracking.receive_page([incident("a"), incident("b")], True, T0, listed)
    tracking.listing_done(CONNECTED, True, listed, T0)
    tracking.actions_to_take()
    tracking.receive_connected(AGAIN)
    assert tracking.actions_to_take() == [ReadList(AGAIN, False)]
    again: set[str] = set()
    moved = incident("a", state="IDENTIFIED", updated="2026-12-06T02:30:00Z")
    tracking.receive_page([moved], False, T0, again)
    tracking.listing_done(AGAIN, False, again, T0)
    actions = tracking.actions_to_take()
    assert actions[0] == Write(described(model.Label.REPAIR, moved, T0))
    assert actions[1] == CheckIds(("b",), T0, AGAIN)
    tracking.receive_checked(["b"], {"i0": incident("b", state="RESOLVED", updated="2026-12-06T02:40:00Z")}, T0, [])
    tracking.repair_done(AGAIN, [], 0)
    actions = tracking.actions_to_take()
    assert actions[0].event.incident_id == "b" and actions[0].event.subscription == model.Label.REPAIR
    assert actions[1] == Report(model.GapRepaired(downtime=4.0, repaired=2, vanished=(), unverified=0))


def test_following_one_incident_drops_the_others_and_is_done_when_it_is_resolved():
    tracking = tracker(only_ids=frozenset({"a"}), repair=False)
    tracking.receive_event(new("b"))
    tracking.receive_event(new("a"))
    resolved = changed("a", "NEW", "RESOLVED")
    tracking.receive_event(resolved)
    actions = tracking.actions_to_take()
    assert [a.event.incident_id for a in actions if isinstance(a, Write)] == ["a", "a"]
    assert actions[-1] == Done("resolved")


# ---- properties of the decisions, over generated streams ----------------------------------------


INCIDENTS = ("a", "b", "c", "d")
SEVERITIES = ("P0", "P1", "P2")
step = st.one_of(
    st.tuples(st.just("new"), st.sampled_from(INCIDENTS), st.sampled_from(SEVERITIES)),
    st.tuples(st.just("change"), st.sampled_from(INCIDENTS), st.just(None)),
    st.tuples(st.just("answer"), st.sampled_from(INCIDENTS), st.sampled_from((*SEVERITIES, None, "not asked"))),
)


def fed(steps, wanted, count):
    """Feed a generated stream (and lookup answers in any order) to a tracker; every action."""
    tracking = tracker(repair=False, severities=wanted, count=count)
    actions, seq, outstanding = [], 0, set()
    for kind, iid, value in steps:
        if kind == "answer":
            found = NOT_ASKED if value == "not asked" else (None if value is None else incident(iid, value))
            tracking.receive_lookup(iid, found)
            outstanding.discard(iid)
        elif kind == "new" and wanted and value not in wanted:
            continue  # newIncidents is filtered on the server: it never sends these
        else:
            seq += 1
            event = new(iid, value) if kind == "new" else changed(iid, severities=wanted)
            event.data["seq"] = seq
            tracking.receive_event(event)
        taken = tracking.actions_to_take()
        for action in taken:
            if isinstance(action, LookUp):
                assert action.incident_id not in outstanding  # one lookup at a time per incident
                outstanding.add(action.incident_id)
        actions += taken
    tracking.finish("duration")
    tracking.fed = seq
    return tracking, actions + tracking.actions_to_take()


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, max_size=40), wanted=st.sampled_from(((), ("P0",), ("P0", "P1"))),
       count=st.sampled_from((None, 1, 3)))
def test_each_event_is_written_at_most_once_in_its_incidents_order_within_the_filter_and_the_bound(steps, wanted, count):
    tracking, actions = fed(steps, wanted, count)
    written = [a.event for a in actions if isinstance(a, Write)]
    seqs = [event.data["seq"] for event in written]
    assert len(seqs) == len(set(seqs))  # never twice
    for iid in INCIDENTS:  # order kept per incident
        mine = [event.data["seq"] for event in written if event.incident_id == iid]
        assert mine == sorted(mine)
    if wanted:  # under --severity, never shown unverified
        assert all(event.severity in wanted for event in written)
    if count is not None:
        assert len(written) <= count
        assert (Done("count") in actions) == (len(written) == count)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(step, max_size=40))
def test_without_a_filter_every_event_is_written_by_the_end_whatever_the_lookups_answered(steps):
    tracking, actions = fed(steps, (), None)
    written = [a for a in actions if isinstance(a, Write)]
    assert len(written) == tracking.fed  # some waited behind a lookup; none was lost


def test_idle_exit_counts_from_the_last_data_not_from_heartbeats_and_says_when_to_wake():
    tracking = tracker(repair=False, idle_exit=5.0)
    tracking.receive_tick(100.0)
    assert tracking.wake_at() == 105.0
    tracking.receive_event(new("a"))
    tracking.receive_tick(103.0)  # data came in the batch before this tick
    assert tracking.wake_at() == 108.0
    beat = model.Heartbeat(subscription="incidentUpdates", received_at=T0, data={"updateType": "HEARTBEAT"})
    tracking.receive_event(beat)
    tracking.receive_tick(107.0)  # liveness is not data: the bound still counts from 103
    assert tracking.actions_to_take() == [Write(new("a")), Report(beat)]
    tracking.receive_tick(108.0)
    assert tracking.actions_to_take() == [Done("idle")] and tracking.finished == "idle"


def test_a_fast_lane_result_is_data_for_idle_exit_too():
    tracking = Tracker(WatchRequest(operations=[ops.subscription("new")], repair=False, idle_exit=5.0), Memory(),
                       records=True)
    tracking.receive_tick(0.0)  # the clock's zero is a time like any other
    tracking.receive_result(model.Result("newIncidents", {"newIncidents": incident("a")}, T0))
    tracking.receive_tick(4.0)
    assert tracking.lane.taken == 1 and tracking.wake_at() == 9.0
    tracking.receive_tick(9.0)
    assert tracking.finished == "idle"
    quiet = Tracker(WatchRequest(operations=[ops.subscription("new")], repair=False, idle_exit=5.0), Memory())
    quiet.receive_tick(0.0)
    quiet.receive_tick(5.0)
    assert quiet.finished == "idle"


def test_a_one_shot_run_gives_up_connecting_after_its_bound_and_not_once_connected():
    tracking = tracker(repair=False, once=True, connect_within=10.0)
    tracking.receive_tick(50.0)
    assert tracking.wake_at() == 60.0
    tracking.receive_tick(59.9)
    assert tracking.actions_to_take() == []
    tracking.receive_tick(60.0)
    assert tracking.actions_to_take() == [Done("unreachable")]
    connected = tracker(repair=False, connect_within=10.0)
    connected.receive_tick(50.0)
    connected.receive_connected(CONNECTED)
    connected.receive_tick(70.0)
    assert connected.wake_at() is None and connected.finished is None
