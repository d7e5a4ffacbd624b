"""One incident in full: every field, its description's lines, the updates seen, nothing unsafe."""

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from incident_cli import model
from incident_cli.render.board import Board
from incident_cli.render.detail import DESCRIPTION_LIMIT, detail

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def shown(row, now=T0):
    out = Console(file=io.StringIO(), width=120, color_system=None)
    out.print(detail(row, now))
    return out.file.getvalue()


def board_with(description="line one\nline two", **fields):
    board = Board()
    data = {"id": "abc", "title": "db down", "severity": "P0", "state": "INVESTIGATING", "assignedTo": "dana",
            "labels": {"team": "payments", "env": "prod"}, "affectedResources": ["db", "api"],
            "description": description, "createdAt": "2026-12-01T02:00:00Z", **fields}
    board.apply(model.stream_event("newIncidents", {"newIncidents": data}, T0), T0)
    return board


def test_every_field_and_the_description_with_its_lines():
    text = shown(board_with().rows["abc"])
    for expected in ("db down", "abc", "P0", "INVESTIGATING", "dana", "payments", "db, api", "env=prod, team=payments"):
        assert expected in text
    assert "line one\nline two" in text


def test_updates_seen_newest_first():
    board = board_with()
    for n, kind in enumerate(("ASSIGNED", "COMMENT_ADDED"), 1):
        update = {"incidentId": "abc", "updateType": kind}
        board.apply(model.stream_event("incidentUpdates", {"incidentUpdates": update}, T0), T0 + timedelta(seconds=n))
    updates = shown(board.rows["abc"], T0 + timedelta(seconds=5)).split("updates seen")[1]
    assert updates.index("COMMENT_ADDED") < updates.index("ASSIGNED") < updates.index("opened")


def test_nothing_known_is_said_plainly():
    board = Board()
    board.apply(model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "x", "updateType": "ASSIGNED"}}, T0), T0)
    text = shown(board.rows["x"])
    assert "(no details)" in text and "owner        nobody" in text and "(none given)" in text


def test_hostile_text_is_literal_and_a_long_description_is_cut():
    hostile = "[bold red]x[/] \x1b]0;pwned\x07 \x1b[2J \u202e"
    text = shown(board_with(title=hostile, description=hostile + "\n" + "y" * (DESCRIPTION_LIMIT * 2)).rows["abc"])
    assert "[bold red]x[/]" in text and "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.count("y") < DESCRIPTION_LIMIT + 50
