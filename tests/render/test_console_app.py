"""The console driven headless by Textual's pilot: keys in, rows and lines out."""

import asyncio
from datetime import UTC, datetime, timedelta

from textual.widgets import DataTable, Static

from incident_cli import model
from incident_cli.render.board import Board
from incident_cli.render.console import ConsoleFeed
from incident_cli.render.console_app import IncidentConsole
from incident_cli.render.console_screens import DetailScreen, HelpScreen
from tests.helpers import run

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
HOSTILE = "[bold red]markup[/] \x1b]0;pwned\x07 \x1b[2J"


def opened(iid, severity="P1", title="t", team="sre", owner=None, state="NEW", description=None):
    data = {"id": iid, "severity": severity, "title": title, "state": state, "assignedTo": owner,
            "labels": {"team": team}, "description": description, "createdAt": "2026-12-01T02:00:00Z"}
    return model.stream_event("newIncidents", {"newIncidents": data}, T0)


def update(iid, kind="COMMENT_ADDED"):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": iid, "updateType": kind}}, T0)


def console(*events, size=(140, 35)):
    clock = [T0]
    feed = ConsoleFeed(Board(), lambda: clock[0])
    for event in events:
        feed.write(event)
    return IncidentConsole(feed, fps=20.0), feed, clock


def table_rows(app):
    table = app.query_one("#rows", DataTable)
    return [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]


def header(app):
    return [column.label.plain for column in app.query_one("#rows", DataTable).ordered_columns]


def drive(app, body, size=(140, 35)):
    async def go():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return await body(pilot)

    return run(go())


def test_owner_and_team_columns_are_filled():
    app, *_ = console(opened("a" * 12, owner="dana", team="payments", title="checkout down"), opened("b" * 12))

    async def body(pilot):
        return header(app), table_rows(app)

    columns, rows = drive(app, body)
    assert columns[:6] == ["SEV", "ID", "TITLE", "OWNER", "TEAM", "STATE"]
    by_id = {row[1]: row for row in rows}
    assert by_id["aaaaaaaa"][3:5] == ["dana", "payments"] and by_id["bbbbbbbb"][3:5] == ["nobody", "sre"]


def test_q_quits_with_status_0_and_ctrl_c_with_130():
    for key, status_code in (("q", 0), ("ctrl+c", 130)):
        app, *_ = console(opened("a"))

        async def body(pilot, key=key):
            await pilot.press(key)
            await pilot.pause()

        drive(app, body)
        assert app.return_value == status_code


def test_pause_holds_the_rows_while_the_count_of_waiting_changes_grows():
    app, feed, _ = console(opened("a"), opened("b"))

    async def body(pilot):
        await pilot.press("p")
        before = table_rows(app)
        feed.write(opened("c"))
        feed.write(update("a"))
        await pilot.pause(0.2)
        held, first = table_rows(app), app.shown
        feed.write(update("b"))
        await pilot.pause(0.2)
        line = app._mode().plain
        await pilot.press("p")
        await pilot.pause(0.2)
        return before, held, line, table_rows(app), first

    before, held, line, resumed, _ = drive(app, body)
    assert held == before and len(held) == 2  # the frame is held...
    assert "PAUSED: 3 changes waiting" in line  # ...while the stream is still read and counted
    assert len(resumed) == 3  # resuming shows what came


def test_slash_filters_as_you_type_and_esc_clears_it():
    app, *_ = console(opened("p1", title="payments api 5xx", team="payments"), opened("s1", title="search slow"),
                      opened("p2", title="ledger lag", team="payments"), opened("x1", title="queue", owner="payments-bot"))

    async def body(pilot):
        await pilot.press("slash", *"payments")
        await pilot.pause()
        narrowed = table_rows(app)
        mode = app._mode().plain
        await pilot.press("enter")  # keep the filter, back to the rows
        await pilot.press("escape")
        await pilot.pause()
        return narrowed, mode, table_rows(app)

    narrowed, mode, cleared = drive(app, body)
    assert sorted(row[1] for row in narrowed) == ["p1", "p2", "x1"]  # title, team label, owner
    assert "filter: payments" in mode and len(cleared) == 4


def test_enter_shows_the_incident_in_full_and_esc_goes_back():
    app, *_ = console(opened("a", title="db down", description="primary is out of disk", owner="dana"), update("a", "ASSIGNED"))

    async def body(pilot):
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        text = _plain(screen.query_one("#detail", Static)) if isinstance(screen, DetailScreen) else ""
        await pilot.press("escape")
        await pilot.pause()
        return isinstance(screen, DetailScreen), text, app.screen is app.screen_stack[0]

    opened_detail, text, back = drive(app, body)
    assert opened_detail and back
    assert "primary is out of disk" in text and "dana" in text and "ASSIGNED" in text


def test_s_cycles_the_order_and_says_so():
    app, feed, clock = console(opened("old", team="zeta"), opened("new", team="alpha"))

    async def body(pilot):
        orders = []
        for _ in range(4):
            await pilot.press("s")
            orders.append((app.order, app._mode().plain))
        return orders

    orders = drive(app, body)
    assert [order for order, _ in orders] == ["activity", "age", "team", "severity"]
    assert "sort: team" in orders[2][1] and "sort:" not in orders[3][1]


def test_y_copies_the_selected_id():
    app, *_ = console(opened("abcdef-123"))

    async def body(pilot):
        await pilot.press("y")
        await pilot.pause()
        return app.clipboard

    assert drive(app, body) == "abcdef-123"


def test_help_lists_the_keys_and_esc_closes_it():
    app, *_ = console(opened("a"))

    async def body(pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        shown = isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        return shown, isinstance(app.screen, HelpScreen)

    assert drive(app, body) == (True, False)


def test_hostile_titles_stay_literal_in_cells_detail_and_notices():
    app, *_ = console(opened(HOSTILE, title=HOSTILE, owner=HOSTILE, description=HOSTILE))

    async def body(pilot):
        rows = table_rows(app)
        await pilot.press("y", "enter")
        await pilot.pause()
        return rows, _plain(app.screen.query_one("#detail", Static))

    rows, detail_text = drive(app, body)
    row = rows[0]
    assert row[2].startswith("[bold red]markup[/]") and "^[]0;pwned^G" in row[2] and row[3].startswith("[bold red")
    assert "[bold red]markup[/]" in detail_text
    assert all("\x1b" not in cell and "\x07" not in cell for cell in row) and "\x1b" not in detail_text


def test_a_narrow_pane_drops_columns_and_a_wide_one_gets_them_back():
    app, *_ = console(opened("a"))

    async def body(pilot):
        wide = header(app)
        await pilot.resize_terminal(80, 20)
        await pilot.pause(0.2)
        narrow = header(app)
        await pilot.resize_terminal(140, 35)
        await pilot.pause(0.2)
        return wide, narrow, header(app)

    wide, narrow, again = drive(app, body)
    # Narrow: what says which incidents, in what state and since when stays longest.
    assert "TYPE" in wide and "TYPE" not in narrow and {"STATE", "AGE", "TEAM"} <= set(narrow) and again == wide


def test_a_changed_row_stays_in_place():
    app, feed, clock = console(opened("first", severity="P1"), opened("second", severity="P1"))

    async def body(pilot):
        before = [row[1] for row in table_rows(app)]
        clock[0] = T0 + timedelta(seconds=1)
        feed.write(update("second"))
        await pilot.pause(0.2)
        return before, [row[1] for row in table_rows(app)]

    before, after = drive(app, body)
    assert before == after


def _plain(widget):
    """What a Static shows, as plain text (Rich renderables rendered without colour)."""
    from io import StringIO

    from rich.console import Console

    out = Console(file=StringIO(), width=140, color_system=None)
    out.print(widget.content)
    return out.file.getvalue()


def test_keys_typed_right_after_slash_are_the_filters_even_all_at_once():
    from textual import events

    app, *_ = console(opened("p1", title="payments x"), opened("s1", title="search"))

    async def body(pilot):
        for key, character in [("slash", "/"), ("p", "p"), ("a", "a"), ("y", "y"), ("enter", "\r")]:
            app.post_message(events.Key(key=key, character=character))  # as a paste or tmux send-keys delivers them
        await pilot.pause(0.3)
        return app.filter_text, app.typing, app.paused_at, app.clipboard, type(app.screen).__name__, table_rows(app)

    text, typing, paused, clipboard, screen, rows = drive(app, body)
    assert (text, typing, paused, clipboard, screen) == ("pay", False, None, "", "Screen")  # no pause, copy or detail
    assert [row[1] for row in rows] == ["p1"]


def test_a_replay_is_paused_and_seeked_with_its_keys_and_says_so():
    class Playback:
        paused = ended = False

        def __init__(self):
            self.seeks = []

        def toggle(self):
            self.paused = not self.paused

        def seek(self, seconds):
            self.seeks.append(seconds)

    playback = Playback()
    clock = [T0]
    feed = ConsoleFeed(Board(), lambda: clock[0])
    feed.write(opened("a"))
    app = IncidentConsole(feed, fps=20.0, playback=playback)

    async def body(pilot):
        await pilot.press("p")
        await pilot.pause()
        paused = str(app.query_one("#status", Static).render())
        await pilot.press("right", "right", "left")
        playback.ended = True
        feed.dirty = True  # as the player's last events make it
        await pilot.pause(0.2)
        ended = str(app.query_one("#status", Static).render())
        return paused, ended, app.paused_at

    paused, ended, view_paused = drive(app, body)
    assert playback.paused and view_paused is None  # the replay's clock stopped, not only the view
    assert "PAUSED (p plays" in paused
    assert playback.seeks == [10.0, 10.0, -10.0]
    assert "end of the recording" in ended


def test_without_a_replay_the_arrows_do_not_seek_and_are_not_offered():
    app, *_ = console(opened("a"))

    async def body(pilot):
        await pilot.press("right")
        offered = [active.binding.description for active in app.active_bindings.values() if active.enabled]
        return offered, app.check_action("seek", (10.0,))

    offered, allowed = drive(app, body)
    assert allowed is False and "+10s" not in offered and "quit" in offered


def test_in_a_storm_the_rows_wait_for_their_turn_but_the_status_line_still_moves():
    app, feed, _ = console(opened("a"))

    async def body(pilot):
        app._next_fill = float("inf")  # the last refill was slow: the next one is not due (FILL_SHARE)
        feed.write(opened("b"))
        feed.report(model.Reconnecting(reason="socket closed", attempt=1, delay=30.0))
        status = app.query_one("#status", Static)
        async with asyncio.timeout(5):
            while "reconnecting" not in status.render().plain:  # within IDLE_REDRAW (1 s), without a refill
                await pilot.pause(0.05)
        held = table_rows(app)
        app._next_fill = 0.0  # its turn
        async with asyncio.timeout(5):
            while len(table_rows(app)) < 2:
                await pilot.pause(0.05)
        return held

    held = drive(app, body)
    assert len(held) == 1  # the new incident waited for the refill, the connection's state did not


def test_a_stream_gone_quiet_is_shown_stale_even_while_the_rows_wait_for_their_turn():
    app, feed, clock = console(opened("a"))

    async def body(pilot):
        feed.report(model.Connected(server="ws://x", subprotocol="graphql-transport-ws", attempt=1))
        app.board.heartbeat_period = 1.0
        app.board.last_message = T0
        app._next_fill = float("inf")  # a storm's refill spacing: the rows are not redrawn
        clock[0] = T0 + timedelta(seconds=10)  # no heartbeat for ten periods
        status = app.query_one("#status", Static)
        async with asyncio.timeout(5):
            while "STALE" not in status.render().plain:
                await pilot.pause(0.05)
        return True

    assert drive(app, body)


def test_cells_that_cut_end_in_an_ellipsis_and_last_shows_the_state_reached_first():
    long_title = "checkout: " + "very " * 40 + "slow"
    change = model.stream_event("incidentStateChanges", {"incidentStateChanges": {
        "incidentId": "a" * 12, "oldState": "INVESTIGATING", "newState": "IDENTIFIED"}}, T0)
    app, *_ = console(opened("a" * 12, title=long_title, owner="someone-with-a-long-name"), change)

    async def body(pilot):
        return header(app), table_rows(app)

    columns, rows = drive(app, body, size=(160, 20))
    row = dict(zip(columns, rows[0], strict=True))
    assert row["TITLE"].endswith("\u2026") and row["TITLE"].startswith("checkout: very")
    assert row["OWNER"].endswith("\u2026") and row["OWNER"].startswith("someone")
    assert row["LAST"].startswith("\u2192IDENTIFIED") and row["STATE"] == "IDENTIFIED"


def test_when_the_selected_incident_closes_the_cursor_stays_among_the_open_rows_and_home_end_move_it():
    ids = [c * 12 for c in "abcde"]
    app, feed, _ = console(*(opened(iid, severity="P0") for iid in ids))

    async def body(pilot):
        table = app.query_one("#rows", DataTable)
        await pilot.press("j")
        selected = app.selected_key()
        position = table.cursor_row
        feed.write(model.stream_event("incidentStateChanges", {"incidentStateChanges": {
            "incidentId": selected, "oldState": "NEW", "newState": "CLOSED"}}, T0))
        app.redraw()
        await pilot.pause()
        after = (table.cursor_row, app.selected_row().done, app.board.rows[selected].done)
        await pilot.press("G")
        last = table.cursor_row
        await pilot.press("home")
        first = table.cursor_row
        await pilot.press("end")
        end = table.cursor_row
        await pilot.press("g")
        return position, after, last, first, end, table.cursor_row, table.row_count

    position, after, last, first, end, top, count = drive(app, body)
    # The closed row sank to the bottom; the cursor stayed at its place, on an open incident.
    assert after == (position, False, True)
    assert (last, first, end, top) == (count - 1, 0, count - 1, 0)


def test_paused_ages_move_the_status_line_says_every_filter_and_what_it_counts():
    from incident_cli.incident_filter import parse_filter

    app, feed, clock = console(opened("a" * 12, severity="P0", team="sre"),
                               opened("b" * 12, severity="P1", team="sre", state="CLOSED"))
    feed.board.severities, feed.board.only = ("P0", "P1"), parse_filter(team="sre")

    async def body(pilot):
        await pilot.press("p")
        before = dict(zip(header(app), table_rows(app)[0], strict=True))["AGE"]
        clock[0] = T0 + timedelta(hours=2)
        await pilot.pause(1.3)  # the once-a-second redraw
        after = dict(zip(header(app), table_rows(app)[0], strict=True))["AGE"]
        return before, after, _plain(app.query_one("#status", Static)), _plain(app.query_one("#more", Static))

    before, after, status, more = drive(app, body)
    assert (before, after) == ("1h", "3h")  # paused, and the age still moved
    assert "only P0|P1, team sre" in status and "open P0 1" in status and "P1 1" not in status
    assert more.startswith("1 open, 1 closed")


def test_slash_matches_what_the_columns_show_and_a_disconnected_view_says_its_rows_may_be_stale():
    app, feed, _ = console(opened("a" * 12, title="db down", team="sre"),
                           opened("b" * 12, title="disk full", team="payments"))
    feed.board.rows["b" * 12].labels["region"] = "eu-west-1"  # a label no column shows

    async def body(pilot):
        await pilot.press("slash", *"eu-west")
        await pilot.pause()
        hidden_match = table_rows(app)
        await pilot.press("escape", "slash", *"payments")
        await pilot.pause()
        shown_match = [row[1] for row in table_rows(app)]
        await pilot.press("escape")
        feed.report(model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=1))
        feed.report(model.Reconnecting(reason="closed with 1012", attempt=1, delay=5.0))
        app.redraw()
        await pilot.pause()
        return hidden_match, shown_match, app.query_one("#rows", DataTable).has_class("stale"), \
            _plain(app.query_one("#status", Static))

    hidden_match, shown_match, stale, status = drive(app, body)
    assert hidden_match == [] and shown_match == ["bbbbbbbb"]
    assert stale and "rows as last seen" in status


def test_width_the_titles_do_not_need_goes_to_a_column_that_is_cut():
    app, feed, _ = console(opened("a" * 12, title="db down"), size=(180, 20))
    feed.board.rows["a" * 12].known.resources = ("api-gateway", "checkout", "payments", "postgres-primary")

    async def body(pilot):
        return dict(zip(header(app), table_rows(app)[0], strict=True))

    row = drive(app, body, size=(180, 20))
    # A short title leaves room: RESOURCES is shown whole, not cut at its 16 columns.
    assert row["RESOURCES"] == "api-gateway, checkout, payments, postgres-primary" and row["TITLE"] == "db down"


def test_a_change_is_drawn_when_it_comes_not_at_the_clocks_next_tick(monkeypatch):
    from incident_cli.render import console_app

    monkeypatch.setattr(console_app, "IDLE_REDRAW", 3600.0)  # the clock never ticks in this test: only changes draw
    app, feed, _ = console()

    async def body(pilot):
        feed.write(opened("a" * 12, title="db down"))
        for _ in range(100):  # bounded: 5 s
            if app.query_one("#rows", DataTable).row_count:
                break
            await asyncio.sleep(0.05)
        return table_rows(app)

    assert [row[2] for row in drive(app, body)] == ["db down"]
