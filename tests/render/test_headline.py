"""The status line: the link first, what the person set first of all, a replay never 'live'."""

from datetime import UTC, datetime

from rich.text import Text

from incident_cli import model
from incident_cli.render.board import Board
from incident_cli.render.headline import status_line

T0 = datetime(2026, 12, 1, 6, 26, 47, tzinfo=UTC)


def test_live_with_counts_and_the_server_without_its_secrets():
    board = Board()
    board.status(model.Connected(server="wss://u:pw@h/graphql/ws?token=t", subprotocol="graphql-transport-ws", attempt=1), T0)
    line = status_line(board, T0, {"P0": 2}, False).plain
    assert line.startswith("\u25cf live") and "P0 2" in line and "wss://h/graphql/ws" in line and "pw" not in line


def test_a_replay_says_so_with_the_recorded_time_and_speed_and_no_server():
    board = Board(replay=("incident-42.jsonl", 4.0))
    board.status(model.Connected(server="wss://prod.example/graphql/ws", subprotocol="graphql-transport-ws", attempt=1), T0)
    line = status_line(board, T0, {}, False).plain
    local = T0.astimezone().strftime("%H:%M:%S")
    assert line.startswith(f"\u25b6 replay of incident-42.jsonl, recorded {local} at x4")
    assert "live" not in line and "prod.example" not in line


def test_what_the_person_set_comes_first():
    line = status_line(Board(), T0, {}, False, lead=Text("filter: payments")).plain
    assert line.startswith("filter: payments  ")


def test_a_filtered_view_says_what_it_shows():
    from incident_cli.incident_filter import parse_filter

    board = Board(only=parse_filter(team="payments", state="new"))
    assert "only team payments, state NEW" in status_line(board, T0, {}, False).plain
    assert "only" not in status_line(Board(), T0, {}, False).plain
