import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from incident_cli import model
from incident_cli.memory import Memory
from incident_cli.model import parse_time
from incident_cli.operations import subscription
from incident_cli.render.board import HIGHLIGHT, ORDERS, Board
from incident_cli.tracking import Tracker, Write, described
from incident_cli.watch import WatchRequest

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def opened(iid, severity, title="t", state="NEW", **extra):
    data = {"id": iid, "severity": severity, "title": title, "state": state, **extra}
    return model.stream_event("newIncidents", {"newIncidents": data}, T0)


def update(iid, kind="ASSIGNED"):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": iid, "updateType": kind}}, T0)


def change(iid, old, new):
    data = {"incidentId": iid, "oldState": old, "newState": new}
    return model.stream_event("incidentStateChanges", {"incidentStateChanges": data}, T0)


def looked_up(data):
    return described(model.Label.LOOKUP, data, T0)


def ids(board, now, limit=50):
    return [row.id for row in board.view(now, limit).rows]


def test_a_stable_order_severity_then_newest_opened_and_a_change_is_marked_not_moved():
    board = Board()
    board.apply(opened("low", "P3"), at(0))
    board.apply(opened("p1-old", "P1"), at(1))
    board.apply(opened("p0", "P0"), at(2))
    board.apply(opened("p1-new", "P1"), at(3))
    assert ids(board, at(4)) == ["p0", "p1-new", "p1-old", "low"]
    board.apply(update("p1-old"), at(5))  # a comment or an assignment: the row stays where it is...
    assert ids(board, at(6)) == ["p0", "p1-new", "p1-old", "low"]
    row = board.rows["p1-old"]
    assert row.last_change == "ASSIGNED" and board.events == 5
    assert row.changed_within(at(6)) and not row.changed_within(at(5 + HIGHLIGHT))  # ...and stands out a while


def test_the_server_opened_time_orders_rows_not_when_we_heard_of_them():
    board = Board()
    board.apply(opened("late-heard", "P1", createdAt="2026-11-27T11:00:00Z"), at(10))
    board.apply(opened("early-heard", "P1", createdAt="2026-11-27T11:30:00Z"), at(0))
    assert ids(board, at(11)) == ["early-heard", "late-heard"]  # opened 11:30 is newer than 11:00


def test_other_orders_activity_age_and_team():
    board = Board()
    board.apply(opened("a", "P2", labels={"team": "search"}), at(0))
    board.apply(opened("b", "P0"), at(1))
    board.apply(opened("c", "P3", labels={"team": "Payments"}), at(2))
    board.apply(change("b", "NEW", "CLOSED"), at(4))
    now = at(5)
    assert [r.id for r in board.view(now, 10, order="activity").rows] == ["c", "a", "b"]  # last active first; done rows last in every order
    assert [r.id for r in board.view(now, 10, order="age").rows] == ["a", "c", "b"]  # oldest first
    assert [r.id for r in board.view(now, 10, order="team").rows] == ["c", "a", "b"]  # payments, search, no team
    assert set(ORDERS) == {"severity", "activity", "age", "team"}


def test_owner_team_labels_and_description_come_from_the_description():
    board = Board()
    board.apply(opened("a", "P1", assignedTo="dana", labels=[{"key": "team", "value": "payments"}], description="d"), at(0))
    row = board.rows["a"]
    assert (row.owner, row.team, row.labels, row.description) == ("dana", "payments", {"team": "payments"}, "d")
    board.learn(looked_up({"id": "a", "title": "t", "assignedTo": "lee", "labels": {"team": "payments"}}), at(1))
    assert row.owner == "lee" and row.team == "payments"  # re-read after ASSIGNED
    board.learn(looked_up({"id": "a", "title": "t", "assignedTo": None}), at(2))
    assert row.owner is None and row.team is None  # unassigned and unlabelled since, as the memory says


def test_a_filter_narrows_the_view_and_counts_what_matched():
    board = Board()
    for n in range(6):
        board.apply(opened(f"i{n}", "P2", title="payments down" if n % 2 else "search slow"), at(n))
    view = board.view(at(7), 2, keep=lambda row: "payments" in (row.title or ""))
    assert [r.id for r in view.rows] == ["i5", "i3"] and view.matched == 3 and view.hidden == {"P2": 1}
    assert len(board.view(at(7), None).rows) == 6  # no limit: every row, never cropped


def test_state_changes_and_resolution_dim_sink_then_leave_after_grace():
    board = Board(keep_resolved=60)
    board.apply(opened("a", "P0"), at(0))
    board.apply(opened("b", "P4"), at(1))
    board.apply(change("a", "NEW", "RESOLVED"), at(2))
    row = board.rows["a"]
    assert row.done and row.state == "RESOLVED" and row.last_change == "NEW\u2192RESOLVED"
    assert ids(board, at(3)) == ["b", "a"]  # a resolved P0 sinks below an open P4
    assert board.view(at(3), 10).counts == {"P4": 1}
    assert ids(board, at(61)) == ["b", "a"]
    assert ids(board, at(63)) == ["b"]  # gone after the grace period


def test_resolved_update_and_reopen():
    board = Board()
    board.apply(opened("a", "P2"), at(0))
    board.apply(update("a", "RESOLVED"), at(1))
    assert board.rows["a"].done and board.rows["a"].done_since == at(1)
    board.apply(change("a", "RESOLVED", "INVESTIGATING"), at(2))
    assert not board.rows["a"].done and board.rows["a"].done_since is None


def test_unknown_incident_shows_what_is_known_until_details_arrive():
    board = Board()
    board.apply(change("ghost", "NEW", "TRIAGED"), at(0))
    row = board.rows["ghost"]
    assert row.title is None and row.state == "TRIAGED" and row.severity is None
    board.learn(looked_up({"id": "ghost", "severity": "P1", "title": "found", "state": "TRIAGED"}), at(1))
    assert (row.title, row.severity) == ("found", "P1") and board.events == 1  # learning is not an event


def test_severity_from_the_event_fills_an_unknown_row():
    board = Board()
    event = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "x", "updateType": "ASSIGNED"}}, T0)
    from dataclasses import replace

    board.apply(replace(event, severity="P1"), at(0))
    assert board.rows["x"].severity == "P1"


def test_view_is_bounded_with_a_summary_of_the_rest():
    board = Board()
    for n in range(10):
        board.apply(opened(f"i{n}", "P0" if n < 2 else "P3"), at(n))
    board.apply(change("i9", "NEW", "RESOLVED"), at(10))
    view = board.view(at(11), 3)
    assert len(view.rows) == 3 and view.hidden == {"P3": 6} and view.hidden_done == 1  # closed rows apart
    assert view.counts == {"P0": 2, "P3": 7}


def test_memory_is_bounded_forgetting_what_matters_least():
    board = Board(capacity=100)
    board.apply(opened("keep", "P0"), at(0))
    for n in range(1000):
        board.apply(opened(f"low{n}", "P4"), at(1 + n / 1000))
    assert len(board.rows) <= 100 and "keep" in board.rows


def test_schema_drift_never_crashes():
    board = Board()
    board.apply(opened("d", "CRITICAL", state="TRIAGED", labels=[{"key": "k", "value": "v"}], affectedResources=None), at(0))
    board.apply(model.stream_event("incidentUpdates", {"incidentUpdates": {"updateType": None}}, T0), at(1))
    view = board.view(at(2), 10)
    assert view.rows[0].severity == "CRITICAL" and view.rows[0].state == "TRIAGED"


def test_connection_status_and_gaps():
    board = Board()
    board.status(model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=1), at(0))
    assert board.connection.state == "live"
    board.status(model.Reconnecting(reason="closed with 1012", attempt=2, delay=3.0), at(10))
    link = board.connection
    assert link.state == "reconnecting" and link.retry_at == at(13) and link.disconnects == 1
    board.status(model.Reconnecting(reason="refused", attempt=3, delay=6.0), at(13))
    board.status(model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=3), at(20))
    assert link.state == "live" and link.last_gap == timedelta(seconds=10) and link.disconnects == 1
    board.ended("gave up after 3 attempts")
    assert link.state == "gave up"


def test_stale_when_heartbeats_stop():
    board = Board(heartbeat_period=5.0)
    board.status(model.Connected(server="s", subprotocol="p", attempt=1), at(0))
    board.alive(at(5))
    assert not board.stale(at(15))
    assert board.stale(at(21))
    assert not Board().stale(at(1000))  # no heartbeat stream: quiet is not stale


def test_parse_time_formats():
    expected = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert parse_time("2026-01-02T03:04:05.123456Z") == expected
    assert parse_time("2026-01-02T03:04:05.123456+00:00") == expected
    assert parse_time("2026-01-02T03:04:05.123456789Z") == expected  # nanoseconds
    assert parse_time("2026-01-02T03:04:05Z") == expected.replace(microsecond=0)
    assert parse_time("yesterday") is None and parse_time(None) is None
    assert parse_time("2026-01-02T03:04:05") is None  # no zone: not guessed


def test_rows_that_leave_the_command_lines_filter_are_not_drawn_or_counted():
    from incident_cli.incident_filter import parse_filter

    board = Board(only=parse_filter(state="NEW"))
    board.apply(opened("a", "P0", labels={"team": "sre"}), at(0))
    board.apply(opened("b", "P1"), at(0))
    board.apply(change("a", "NEW", "INVESTIGATING"), at(1))  # its last word was shown; the row goes
    view = board.view(at(2), 50)
    assert [row.id for row in view.rows] == ["b"] and view.counts == {"P1": 1}


def test_incidents_the_server_no_longer_knows_leave_the_board_and_its_counts():
    board = Board()
    for iid, severity in (("a", "P0"), ("b", "P0"), ("c", "P1")):
        board.apply(opened(iid, severity), at(0))
    board.status(model.GapRepaired(downtime=2.0, repaired=0, vanished=("a", "c")), at(5))
    view = board.view(at(6), None)
    assert [row.id for row in view.rows] == ["b"] and view.counts == {"P0": 1}
    # With several servers, only that server's rows go.
    several = Board()
    for source in ("us", "eu"):
        several.apply(dataclasses.replace(opened("a", "P0"), source=source), at(0))
    several.status(model.GapRepaired(downtime=None, repaired=0, vanished=("a",)), at(5), source="us")
    assert [row.source for row in several.view(at(6), None).rows] == ["eu"]


# ---- the rows read the watch's memory --------------------------------------------------------


def test_a_row_shows_what_the_watch_memory_learned_though_the_board_was_not_told():
    memory = Memory(views=True)
    board = Board(memory=memory, keep_resolved=60)
    event = opened("a", "P1", title="db slow", updatedAt="2026-11-27T12:00:00Z")
    memory.observe(event)  # the watch's tracker writes the memory, then hands the board the event
    board.apply(event, at(0))
    assert board.rows["a"].title == "db slow" and not board.rows["a"].done
    # A lookup, a repair or an event the filters dropped: the memory learns, the board is not told.
    memory.observe(looked_up({"id": "a", "severity": "P1", "title": "db down", "state": "RESOLVED",
                              "updatedAt": "2026-11-27T12:05:00Z"}))
    assert board.rows["a"].title == "db down" and board.view(at(1), 10).counts == {}  # done: counted out
    assert board.rows["a"].done_since == at(1)  # the view saw it done, and the grace runs from there
    assert ids(board, at(60)) == ["a"] and ids(board, at(62)) == []


def test_an_older_change_does_not_undo_what_the_memory_saw_later():
    board = Board()  # its own memory: the same rule as the watch's
    board.apply(opened("a", "P1", state="RESOLVED", updatedAt="2026-11-27T12:05:00Z"), at(0))
    late = {"incidentId": "a", "oldState": "NEW", "newState": "INVESTIGATING", "timestamp": "2026-11-27T12:01:00Z"}
    board.apply(model.stream_event("incidentStateChanges", {"incidentStateChanges": late}, T0), at(1))
    row = board.rows["a"]
    assert row.state == "RESOLVED" and row.last_change == "NEW\u2192INVESTIGATING"  # the change is said; the state stays


def test_the_same_id_on_two_servers_is_two_rows_each_with_its_own_facts():
    memory = Memory(views=True)
    board = Board(memory=memory)
    for server, title, state in (("eu", "eu db", "NEW"), ("us", "us db", "RESOLVED")):
        tracker = Tracker(WatchRequest(operations=[subscription("new")]), memory, server)
        tracker.receive_result(model.Result("newIncidents", {"newIncidents": {
            "id": "a", "severity": "P1", "title": title, "state": state}}, T0, model.UNSCOPED))
        (write,) = [action for action in tracker.actions_to_take() if isinstance(action, Write)]
        board.apply(dataclasses.replace(write.event, source=server), at(0))  # as sources.Sourced tags it
    assert {key: (row.title, row.state, row.source) for key, row in board.rows.items()} == {
        "eu/a": ("eu db", "NEW", "eu"), "us/a": ("us db", "RESOLVED", "us")}


def test_a_board_refuses_a_memory_that_does_not_keep_what_it_shows():
    with pytest.raises(ValueError, match="views=True"):
        Board(memory=Memory())


def test_a_replay_seeking_back_forgets_what_the_boards_own_memory_learned():
    board = Board()
    board.apply(opened("a", "P1", state="RESOLVED", updatedAt="2026-11-27T12:05:00Z"), at(0))
    board.reset()
    board.apply(opened("a", "P1", state="NEW", updatedAt="2026-11-27T12:00:00Z"), at(1))  # played again from the start
    assert board.rows["a"].state == "NEW" and board.events == 1


def test_an_incident_the_memory_forgot_in_a_storm_keeps_its_row_facts_when_it_comes_back():
    memory = Memory(capacity=2, views=True)
    board = Board(memory=memory)
    for event in (opened("p0", "P0", title="db down", updatedAt="2026-11-27T12:00:00Z"), opened("b", "P3"), opened("c", "P3")):
        memory.observe(event)
        board.apply(event, at(0))
    assert memory.get("p0") is None  # forgotten: the two others were newer
    later = change("p0", "NEW", "INVESTIGATING")
    memory.observe(later)  # the memory makes a new record: a state, no description
    board.apply(later, at(1))
    row = board.rows["p0"]
    assert (row.title, row.state, row.known is memory.get("p0")) == ("db down", "INVESTIGATING", True)
