"""A list that is never cropped: every incident once, as a table, paged when taller than the pane.

`incidents list` and `watch --once` on a terminal. The board gathers the listed incidents;
at the end they are drawn once, all of them, and handed to a pager when they do not fit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from rich.console import Group
from rich.text import Text

from incident_cli import model
from incident_cli.memory import Memory
from incident_cli.render import Output, OutputSpec, Streams
from incident_cli.render.board import Board, BoardFeed, View
from incident_cli.render.columns import choose
from incident_cli.render.pager import Pager, print_paged
from incident_cli.render.status import StatusLines
from incident_cli.render.table import rows_table
from incident_cli.render.terminal import make_console
from incident_cli.sanitize import sanitize
from incident_cli.wording import plural

R = TypeVar("R")


class Listing(BoardFeed):
    """The Output of a one-shot list: rows into the board, status lines to stderr."""

    def __init__(self, board: Board, status: StatusLines, clock: Callable[[], datetime]) -> None:
        super().__init__(board, clock)
        self._status = status

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        if not isinstance(event, model.Heartbeat):
            (self._status.for_source(source) if source else self._status).report(event)


async def run_listing(
    spec: OutputSpec,
    streams: Streams,
    run: Callable[[Output], Coroutine[Any, Any, R]],
    *,
    clock: Callable[[], datetime] | None = None,
    page: Pager | None = None,
    memory: Memory | None = None,
) -> R:
    """``run(listing)``, then every row it gathered, once: straight out, or through the pager."""
    now = clock or (lambda: datetime.now(UTC))
    # Every listed incident is drawn: the live views' bound on rows would crop a long list.
    board = Board(keep_resolved=spec.keep_resolved, subscriptions=spec.streams, capacity=sys.maxsize, memory=memory)
    board.only = spec.only
    status = StatusLines(streams.stderr)
    result = await run(Listing(board, status, now))
    view = board.view(now(), None)
    if not view.rows:
        status.line("no incidents to list" + (f" (only {board.only.describe()})" if board.only else ""))
        return result
    console = make_console(streams.stdout, color=spec.color, environ=streams.environ)
    columns = choose(spec.columns, spec.label_columns, several=bool(board.sources), width=console.size.width)
    print_paged(console, streams, Group(rows_table(columns, view.rows, now()), summary(view, board)), page=page)
    return result


def summary(view: View, board: Board) -> Text:
    """``12 incidents: P0 2, P1 4, P2 6 (3 closed)  only team payments``."""
    shown = len(view.rows)
    done = sum(1 for row in view.rows if row.done)
    by_severity = ", ".join(f"{severity} {count}" for severity, count in sorted(view.counts.items()))
    line = plural(shown, "incident") + (f": {by_severity}" if by_severity else "")
    if done:
        line += f" ({done} closed)"
    if board.only:
        line += f"  only {sanitize(board.only.describe(), max_length=80)}"
    return Text(line, style="dim")
