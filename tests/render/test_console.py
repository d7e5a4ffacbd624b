"""What feeds the console, and what notices its terminal going away."""

import asyncio
import threading
from datetime import UTC, datetime

from incident_cli import model
from incident_cli.render import console
from incident_cli.render.board import Board
from incident_cli.render.console import ConsoleFeed, TerminalWatch
from tests.helpers import run

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_the_feed_puts_every_event_on_the_board_and_marks_it_changed():
    feed = ConsoleFeed(Board(), lambda: T0)
    feed.dirty = False
    feed.write(model.stream_event("newIncidents", {"newIncidents": {"id": "a", "title": "t", "severity": "P1"}}, T0))
    assert feed.dirty and feed.board.rows["a"].title == "t" and feed.board.events == 1
    feed.snapshot(model.IncidentSeen(subscription=model.Label.BASELINE, received_at=T0, data={"id": "b"}))
    assert "b" not in feed.board.rows  # a baseline is context the view does not show
    feed.snapshot(model.IncidentSeen(subscription=model.Label.LOOKUP, received_at=T0, data={"id": "a", "assignedTo": "lee"}))
    assert feed.board.rows["a"].owner == "lee" and feed.board.events == 1  # learning is not an event
    feed.report(model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=1))
    assert feed.board.connection.state == "live"


def test_the_feed_wakes_the_console_once_until_the_board_is_drawn():
    feed = ConsoleFeed(Board(), lambda: T0)
    woken = []
    feed.wake = lambda: woken.append(feed.board.events)
    feed.dirty = False  # drawn
    for n in range(3):
        feed.write(model.stream_event("newIncidents", {"newIncidents": {"id": f"i{n}", "severity": "P1"}}, T0))
    feed.report(model.Heartbeat(subscription="incidentUpdates", received_at=T0, data={}))
    assert woken == [1]  # one frame asked for, however much changes before it is drawn
    feed.dirty = False
    feed.write(model.stream_event("newIncidents", {"newIncidents": {"id": "j", "severity": "P1"}}, T0))
    assert woken == [1, 4]


def test_a_terminal_that_goes_away_ends_the_console_then_the_process_if_it_hangs(monkeypatch):
    monkeypatch.setattr(console, "TERMINAL_CHECK", 0.01)
    monkeypatch.setattr(console, "EXIT_DEADLINE", 0.05)
    exited = threading.Event()
    statuses = []

    def exit_process(status):
        statuses.append(status)
        exited.set()

    async def body():
        ended = asyncio.Event()
        answers = iter([True, True, False])  # the terminal answers twice, then hangs up
        watch = TerminalWatch(asyncio.get_running_loop(), ended.set, exit_process=exit_process,
                              is_terminal=lambda fd: next(answers))
        await asyncio.wait_for(ended.wait(), 2)  # first the console is asked to end...
        happened = watch.happened
        await asyncio.to_thread(exited.wait, 2)  # ...and if the process is still here, it is ended
        watch.stop()
        return happened

    assert run(body()) and statuses == [74]


def test_a_terminal_that_stays_is_left_alone(monkeypatch):
    monkeypatch.setattr(console, "TERMINAL_CHECK", 0.01)
    checked = threading.Event()
    checks = []

    def is_terminal(fd):
        checks.append(fd)
        if len(checks) >= 5:
            checked.set()
        return True

    async def body():
        ended = []
        watch = TerminalWatch(asyncio.get_running_loop(), lambda: ended.append(1), exit_process=ended.append,
                              is_terminal=is_terminal)
        await asyncio.to_thread(checked.wait, 2)
        watch.stop()
        return watch.happened, ended

    assert run(body()) == (False, []) and checks[0] == 2  # stderr: where Textual draws
