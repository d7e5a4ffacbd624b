import asyncio
import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from incident_cli import model
from incident_cli.render.board import Board
from incident_cli.render.table import TableView
from incident_cli.render.terminal import SafeConsole
from tests.helpers import run

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def console(width=120, height=20, color=False):
    return SafeConsole(
        file=io.StringIO(), width=width, height=height, color_system="standard" if color else None,
        force_terminal=color, markup=False, emoji=False, highlight=False, record=True,
    )


def opened(iid, severity, title, state="NEW", resources=("api",), owner=None, team=None, labels=None,
           created="2026-11-27T11:55:00Z"):
    data = {"id": iid, "severity": severity, "title": title, "state": state, "incidentType": "AVAILABILITY",
            "affectedResources": list(resources), "createdAt": created, "assignedTo": owner,
            "labels": labels if labels is not None else ({"team": team} if team else {})}
    return model.stream_event("newIncidents", {"newIncidents": data}, T0)


def rendered(view: TableView) -> str:
    out = Console(file=io.StringIO(), width=view.console.size.width, color_system=None, record=True)
    out.print(view.render())
    return out.export_text()


def test_rendering_at_a_fixed_width():
    board = Board(subscriptions=("new", "updates"))
    board.status(model.Connected(server="ws://user:pw@h:1/graphql/ws?token=x", subprotocol="graphql-transport-ws", attempt=1), T0)
    clock = [T0]
    view = TableView(console(), board, clock=lambda: clock[0])
    view.write(opened("aaaaaaaa-1111", "P1", "checkout: 5xx"))
    view.write(opened("bbbbbbbb-2222", "P0", "db down", state="INVESTIGATING", owner="dana", team="payments",
                      created="2026-11-27T11:58:00Z"))
    clock[0] = T0 + timedelta(seconds=30)
    assert rendered(view).splitlines() == [
        "● live  open P0 1 P1 1  2 events  last 30s ago  ws://h:1/graphql/ws  new, updates",
        "SEV   ID         TITLE                                 OWNER        TEAM        STATE            AGE   LAST             ",
        "─" * 120,
        "P0    bbbbbbbb   db down                               dana         payments    INVESTIGATING     2m   opened 30s       ",
        "P1    aaaaaaaa   checkout: 5xx                         nobody       -           NEW               5m   opened 30s       ",
    ]


def test_narrow_terminal_drops_columns_and_summarises_overflow():
    board = Board()
    view = TableView(console(width=70, height=8), board, clock=lambda: T0)
    for n in range(6):
        view.write(opened(f"id{n}", "P2" if n % 2 else "P3", f"incident {n}"))
    text = rendered(view)
    assert "RESOURCES" not in text and "TYPE" not in text and "OWNER" not in text and "STATE" in text and "AGE" in text
    assert text.count("incident ") == 3 and "+3 more: 3 open (P3 3)" in text


def test_closed_rows_are_dimmed_badge_and_all_and_counted_apart_from_open_ones():
    board = Board()
    view = TableView(console(color=True, width=120, height=8), board, clock=lambda: T0)
    view.write(opened("open-p2", "P2", "still burning"))
    view.write(opened("done-p0", "P0", "was bad", state="RESOLVED"))
    for n in range(3):
        view.write(opened(f"old{n}", "P3", f"old {n}", state="CLOSED"))
    view.write(opened("more-p2", "P2", "also burning"))
    view.console.print(view.render())
    raw = view.console.file.getvalue()
    assert "\x1b[1;37;41mP0" not in raw  # no white-on-red badge for a resolved P0
    plain = rendered(view)
    assert plain.index("still burning") < plain.index("was bad")  # open rows first
    assert "+3 more: 3 closed" in plain  # never read as hidden open incidents


def test_label_columns_and_a_chosen_order():
    board = Board()
    view = TableView(console(width=120), board, clock=lambda: T0, columns=("sev", "title", "owner"), labels=("env",))
    view.write(opened("a", "P1", "disk", owner="dana", labels={"env": "prod", "team": "payments"}))
    header, row = rendered(view).splitlines()[1], rendered(view).splitlines()[3]
    assert header.split() == ["SEV", "TITLE", "OWNER", "ENV"]
    assert row.split() == ["P1", "disk", "dana", "prod"]


def test_hostile_titles_show_literally_and_cannot_escape():
    board = Board()
    view = TableView(console(color=True, width=220), board, clock=lambda: T0)
    view.write(opened("x", "P0", "[bold red]x[/] [link=https://evil]l[/link] \x1b]0;title\x07 \x1b[2J \u202eevil"))
    out = view.console
    out.print(view.render())
    raw = out.file.getvalue()
    assert "[bold red]x[/]" in raw and "[link=https://evil]l[/link]" in raw and "^[]0;title^G" in raw
    assert "\x1b]" not in raw and "\x1b[2J" not in raw and "\u202e" not in raw  # only our own SGR colours


def test_reconnecting_and_stale_status():
    board = Board(heartbeat_period=1.0)
    board.status(model.Connected(server="ws://h/x", subprotocol="p", attempt=1), T0)
    view = TableView(console(), board, clock=lambda: T0 + timedelta(seconds=10))
    assert "STALE" in rendered(view)
    board.status(model.Reconnecting(reason="closed with 1012 (restart)", attempt=2, delay=15), T0 + timedelta(seconds=10))
    text = rendered(view)
    assert "reconnecting in 15s (attempt 2)" in text and "closed with 1012" in text and "STALE" not in text


def test_frame_rate_is_capped_whatever_the_event_rate():
    async def body():
        view = TableView(console(), Board(), refresh=4.0, clock=lambda: T0)
        async with view:
            for n in range(10_000):
                view.write(opened(f"id{n % 300}", "P2", "t"))
                if n % 1000 == 0:
                    await asyncio.sleep(0.05)
        return view.frames

    frames = run(body())
    assert 2 <= frames <= 8  # ~0.5 s at 4 frames/s, plus the first and the last


def test_a_row_known_only_from_an_update_says_it_has_no_details_not_that_it_is_fetching():
    board = Board()
    view = TableView(console(), board, clock=lambda: T0)
    update = {"incidentId": "cccccccc-3333", "updateType": "ASSIGNED", "timestamp": "2026-11-27T12:00:00Z"}
    view.write(model.stream_event("incidentUpdates", {"incidentUpdates": update}, T0))
    text = rendered(view)
    assert "cccccccc" in text and "(no details" in text and "fetching" not in text


def test_the_status_line_says_connecting_once_the_wait_is_over_and_the_gap_from_the_last_message():
    board = Board()
    clock = [T0]
    view = TableView(console(), board, clock=lambda: clock[0])
    board.status(model.Connected(server="ws://h:1/graphql/ws", subprotocol="graphql-transport-ws", attempt=1), T0)
    board.status(model.Reconnecting(reason="closed with 1012", attempt=1, delay=2.0), T0)
    clock[0] = T0 + timedelta(seconds=1.5)
    assert "reconnecting in 1s (attempt 1)" in rendered(view).splitlines()[0]
    clock[0] = T0 + timedelta(seconds=9)  # a slow handshake: 7 s into attempt 1
    assert "connecting (attempt 1, 7s)" in rendered(view).splitlines()[0]
    board.status(model.Connected(server="ws://h:1/graphql/ws", subprotocol="graphql-transport-ws", attempt=1,
                                 downtime=40.0), clock[0])
    assert "gap 40.0s" in rendered(view).splitlines()[0]  # the session's figure, not the board's 9 s


def test_a_terminal_that_changes_size_is_cleared_before_the_next_frame():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    term = SafeConsole(file=screen, force_terminal=True, width=120, height=20, color_system=None, markup=False,
                       emoji=False, highlight=False)
    view = TableView(term, Board(), clock=lambda: T0)
    view.draw()
    view.draw()
    assert "\x1b[2J" not in screen.getvalue()  # the same size: drawn in place
    term.size = (80, 8)  # the pane shrank
    view.draw()
    assert screen.getvalue().count("\x1b[2J") == 1  # cleared once, then drawn from the top
