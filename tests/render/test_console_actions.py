"""The console's actions driven by Textual's pilot: keys, the modal, confirm and cancel,
what the rows and the status line say, and that keys are offered only where one may act."""

import asyncio

from textual.widgets import Input, Static

from incident_cli.render.action_screen import ActionScreen
from incident_cli.render.board import Board
from incident_cli.render.console import ConsoleFeed
from incident_cli.render.console_actions import Outcome
from incident_cli.render.console_app import IncidentConsole
from tests.render.test_console_app import HOSTILE, T0, _plain, drive, opened, table_rows


class Actor:
    def __init__(self, available=True, outcome=None, hold=None):
        self.calls = []
        self._available = available
        self._outcome = outcome or Outcome(done=("acknowledged aaaaaaaa t (P1) NEW -> INVESTIGATING",))
        self._hold = hold  # an asyncio.Event the action waits for: the row is seen in flight meanwhile

    def available(self):
        return self._available

    async def describe(self, row):
        return {"id": row.id, "timeline": [{"timestamp": "2026-12-01T02:30:00Z", "eventType": "COMMENT_ADDED",
                                            "actor": "dana", "description": f"looking {HOSTILE}"}],
                "resolution": None, "assignees": ["dana", "emeka"]}

    async def act(self, kind, values, rows):
        self.calls.append((kind, values, [row.id for row in rows]))
        if self._hold is not None:
            await self._hold.wait()
        return self._outcome


def console(actor, *events, playback=None):
    feed = ConsoleFeed(Board(), lambda: T0)
    for event in events or (opened("a" * 12), opened("b" * 12, severity="P2")):
        feed.write(event)
    return IncidentConsole(feed, fps=20.0, actor=actor, playback=playback)


def status(app):
    return app.query_one("#status", Static).render().plain


def footer_keys(app):
    return {binding.key for (_, binding, enabled, _) in app.active_bindings.values() if enabled}


def test_a_acknowledges_the_selected_row_after_the_modal_names_it_and_enter_sends():
    actor = Actor()
    app = console(actor)

    async def body(pilot):
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ActionScreen)
        named = screen.query_one("#named", Static).render().plain
        assert "Acknowledge 1 incident?" in named and "aaaaaaaa" in named
        assert actor.calls == []  # nothing before Enter
        await pilot.press("enter")
        await pilot.pause(0.2)
        return status(app)

    line = drive(app, body)
    assert actor.calls == [("ack", {}, ["a" * 12])]
    assert "acknowledged aaaaaaaa" in line


def test_esc_cancels_and_nothing_is_sent():
    actor = Actor()
    app = console(actor)

    async def body(pilot):
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        return status(app)

    line = drive(app, body)
    assert actor.calls == [] and "cancelled: nothing sent" in line


def test_space_marks_several_and_resolve_asks_for_notes_then_applies_to_all_marked():
    actor = Actor(outcome=Outcome(done=("resolved aaaaaaaa", "resolved bbbbbbbb")))
    app = console(actor)

    async def body(pilot):
        await pilot.press("space", "space")  # marks the first, moves down, marks the second
        await pilot.pause()
        assert len(app.marked) == 2 and "2 marked" in status(app)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # no notes yet: refused, nothing sent
        await pilot.pause()
        assert "notes is required" in app.screen.query_one("#problem", Static).render().plain
        await pilot.press(*"rolled back")
        await pilot.press("enter")  # on to the root cause, which is optional
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        return status(app)

    line = drive(app, body)
    assert actor.calls == [("resolve", {"notes": "rolled back", "root_cause": ""}, sorted(["a" * 12, "b" * 12]))]
    assert "resolved aaaaaaaa (and 1 more)" in line and not app.marked


def test_escalate_offers_one_severity_up_and_a_comment_takes_typed_text():
    actor = Actor()
    app = console(actor, opened("c" * 12, severity="P2"))

    async def body(pilot):
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.query_one("#field-severity", Input).value == "P1"
        await pilot.press("enter")
        await pilot.press(*"spreading", "enter")
        await pilot.pause(0.2)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"[b]looking[/b]", "enter")
        await pilot.pause(0.2)

    drive(app, body)
    assert actor.calls == [("escalate", {"severity": "P1", "reason": "spreading"}, ["c" * 12]),
                           ("comment", {"comment": "[b]looking[/b]"}, ["c" * 12])]


def test_while_in_flight_the_row_says_so_and_a_failure_is_a_sanitised_line():
    hold = asyncio.Event()
    actor = Actor(outcome=Outcome(failed=(f"ack: the server refused updateIncident: {HOSTILE}",)), hold=hold)
    app = console(actor)

    async def body(pilot):
        await pilot.press("a", "enter")
        await pilot.pause(0.2)
        during = table_rows(app)
        hold.set()
        await pilot.pause(0.3)
        return during, status(app)

    during, line = drive(app, body)
    assert any("acknowledging\u2026" in cell for row in during for cell in row)
    assert "the server refused updateIncident" in line and "\x1b" not in line and "[bold red]markup[/]" in line


def test_the_keys_are_offered_only_where_one_may_act():
    for actor, offered in ((Actor(), True), (Actor(available=False), False), (None, False)):
        app = console(actor)

        async def body(pilot, app=app):
            await pilot.pause()
            keys = footer_keys(app)
            await pilot.press("a")
            await pilot.pause()
            return keys, isinstance(app.screen, ActionScreen)

        keys, modal = drive(app, body)
        assert ({"a", "t", "c", "e", "r", "space"} <= keys) is offered and modal is offered
        assert "p" in keys  # pause keeps p


def test_a_replay_offers_no_actions():
    class Playback:
        paused = ended = False

        def toggle(self):
            self.paused = not self.paused

        def seek(self, seconds):
            pass

    actor = Actor()
    app = console(actor, playback=Playback())

    async def body(pilot):
        await pilot.press("a", "space")
        await pilot.pause()
        return footer_keys(app)

    keys = drive(app, body)
    assert "a" not in keys and actor.calls == [] and not app.marked


def test_the_detail_view_shows_the_servers_timeline_and_owners_sanitised():
    app = console(Actor())

    async def body(pilot):
        await pilot.press("d")
        await pilot.pause(0.3)
        return _plain(app.screen.query_one("#detail", Static))

    shown = drive(app, body)
    assert "timeline" in shown and "COMMENT_ADDED" in shown and "dana: looking" in shown
    assert "dana, emeka" in shown and "\x1b" not in shown and "[bold red]markup[/]" in shown
