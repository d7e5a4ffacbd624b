"""The live on-call table: a Rich Live view of the board, redrawn at a capped frame rate.

Events only touch the board (cheap, pure); a separate task draws it a few times a
second, so a burst of 10,000 events costs a few frames, not 10,000.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from incident_cli import model
from incident_cli.errors import IncidentsError, OutputError
from incident_cli.memory import Memory
from incident_cli.render import Output, OutputSpec, Streams
from incident_cli.render.board import Board, BoardFeed, Row, View
from incident_cli.render.columns import Column, choose
from incident_cli.render.headline import status_line
from incident_cli.render.terminal import make_console

R = TypeVar("R")
DEFAULT_REFRESH = 4.0  # frames per second at most
IDLE_REDRAW = 1.0  # seconds: ages and "last message" move even when nothing arrives
CHROME_LINES = 5  # status line, table header and rule, the "+N more" line, one spare


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _isatty(console: Console) -> bool:
    try:
        return bool(console.file.isatty())
    except (OSError, ValueError, AttributeError):
        return False


class TableView:
    """Use as ``async with``; feed it with write / snapshot / report."""

    def __init__(
        self,
        console: Console,
        board: Board,
        *,
        refresh: float = DEFAULT_REFRESH,
        max_rows: int | None = None,
        clock: Callable[[], datetime] = _utcnow,
        columns: tuple[str, ...] = (),
        labels: tuple[str, ...] = (),
    ) -> None:
        self.console = console
        self.board = board
        self._columns, self._labels = columns, labels  # --columns and -L
        self._interval = 1.0 / max(refresh, 0.1)
        self._max_rows = max_rows
        self._clock = clock
        self.feed = BoardFeed(board, clock)  # what the watch writes goes to the board through it
        self.frames = 0  # drawn so far, for tests and benchmarks
        self._live = Live(
            console=console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
            vertical_overflow="crop",
        )
        self._task: asyncio.Task[None] | None = None
        self.gone = asyncio.Event()  # the terminal went away (EIO after a hang-up, EPIPE, ENOSPC)
        self.failure: OSError | None = None
        self._on_terminal = _isatty(console)  # drawing to a terminal: it must still be one each frame
        self._size: tuple[int, int] | None = None  # of the terminal at the last frame

    # ---- feeding -----------------------------------------------------------------------

    def write(self, event: model.StreamEvent) -> None:
        self.feed.write(event)

    def snapshot(self, event: model.IncidentSeen) -> None:
        self.feed.snapshot(event)

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        self.feed.report(event, source)

    def ended(self, reason: str | None) -> None:
        self.board.ended(reason)
        self.feed.dirty = True

    # ---- drawing -----------------------------------------------------------------------

    async def __aenter__(self) -> TableView:
        self._live.start()
        self.draw()
        self._task = asyncio.create_task(self._redraw(), name="incidents-table")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            self.draw()  # the last frame: how the run ended
        finally:
            try:
                self._live.stop()
            except OSError:
                if not self.gone.is_set():
                    raise  # a full disk under a redirected table: the run says so (74)
                # else: a terminal that is gone has no cursor to show again

    async def _redraw(self) -> None:
        idle = 0.0
        while not self.gone.is_set():
            await asyncio.sleep(self._interval)
            idle += self._interval
            if self.feed.dirty or idle >= IDLE_REDRAW:
                self.draw()
                idle = 0.0

    def draw(self) -> None:
        if self.gone.is_set():
            return
        self.feed.dirty = False
        self.frames += 1
        try:
            if self._on_terminal and not _isatty(self.console):
                # Without a SIGHUP (a shell that ignores it, nohup) a hung-up terminal just stops
                # being one, and Rich silently stops drawing: an orphan tailing into the void.
                raise OSError(errno.EIO, "the terminal hung up")
            self._resized()
            self._live.update(self.render(), refresh=True)
        except OSError as error:
            # A closed pane (EIO after the hang-up), a reader that left (EPIPE), a full disk:
            # not a bug of ours. The run ends with the status that says so (run_table, below).
            self.failure = error
            self.gone.set()

    def _resized(self) -> None:
        """A pane that changed size is cleared before the next frame: Live moves the cursor up by
        the last frame's height, and a frame taller than the new pane would leave its top (the
        status line) above the live one, one screen showing two frames."""
        size = (self.console.size.width, self.console.size.height)
        if self._on_terminal and self._size is not None and size != self._size:
            self.console.clear()  # home first: the cursor moves up from the top row, which goes nowhere
        self._size = size

    def row_limit(self) -> int:
        fits = max(1, self.console.size.height - CHROME_LINES)
        return min(fits, self._max_rows) if self._max_rows else fits

    def render(self) -> RenderableType:
        now = self._clock()
        view = self.board.view(now, self.row_limit())
        columns = choose(self._columns, self._labels, several=bool(self.board.sources), width=self.console.size.width)
        parts: list[RenderableType] = [status_line(self.board, now, view.counts, view.stale), rows_table(columns, view.rows, now)]
        if view.hidden or view.hidden_done:
            parts.append(Text(hidden_summary(view), style="dim"))
        elif not view.rows:
            parts.append(Text("no incidents to show yet", style="dim"))
        return Group(*parts)

    def status_line(self, now: datetime, counts: dict[str, int], stale: bool) -> Text:
        return status_line(self.board, now, counts, stale)


async def run_table(
    spec: OutputSpec,
    streams: Streams,
    run: Callable[[Output], Coroutine[Any, Any, R]],
    *,
    server: str,
    clock: Callable[[], datetime] | None = None,
    memory: Memory | None = None,
) -> R:
    """The live table around ``run(view)``: a terminal that goes away ends the run (74), a
    reader that leaves ends it quietly; the last frame says how the run ended."""
    heartbeats = "updates" in spec.streams  # the reference server beats every 5 s on incidentUpdates
    board = Board(keep_resolved=spec.keep_resolved, subscriptions=spec.streams, heartbeat_period=5.0 if heartbeats else None,
                  memory=memory)
    board.connection.server = server
    board.replay, board.only, board.severities = spec.replay, spec.only, spec.severities
    console = make_console(streams.stdout, color=spec.color, environ=streams.environ)
    view = TableView(console, board, refresh=spec.fps, max_rows=spec.max_rows, clock=clock or _utcnow,
                     columns=spec.columns, labels=spec.label_columns)
    async with view:
        watching: asyncio.Task[R] = asyncio.create_task(run(view))
        gone = asyncio.create_task(view.gone.wait())
        terminal_failed = False
        try:
            done, _ = await asyncio.wait({watching, gone}, return_when=asyncio.FIRST_COMPLETED)
            terminal_failed = watching not in done
        finally:
            gone.cancel()
            if not watching.done():
                watching.cancel()
            await asyncio.gather(watching, gone, return_exceptions=True)
        if terminal_failed:
            raise terminal_gone(view.failure)
        try:
            result = watching.result()
        except IncidentsError as error:
            view.ended(str(error))
            raise
        view.ended(None)
        return result


def terminal_gone(error: OSError | None) -> BaseException:
    """The table could not be drawn any more: the reader went away (quiet), or the terminal did."""
    if isinstance(error, BrokenPipeError):
        return BrokenPipeError()
    reason = (error.strerror if error is not None else None) or "the terminal went away"
    return OutputError(f"cannot draw the table any more: {reason}")


def rows_table(columns: list[Column], rows: tuple[Row, ...], now: datetime) -> Table:
    """The rows as a Rich table: closed ones dimmed badge and all, changed ones standing out."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
    for column in columns:
        if column.width:
            table.add_column(column.header, no_wrap=True, overflow="ellipsis", width=column.width,
                             justify="right" if column.key == "age" else "left")
        else:
            table.add_column(column.header, ratio=1, no_wrap=True, overflow="ellipsis")
    for row in rows:
        cells = [column.cell(row, now) for column in columns]
        if row.done:  # every cell plain and dim: a closed P0 keeps no loud badge
            table.add_row(*(Text(cell.plain, style="dim") for cell in cells), style="dim")
        else:
            table.add_row(*cells, style="bold" if row.changed_within(now) else "")
    return table


def hidden_summary(view: View) -> str:
    """``+16 more: 5 open (P0 2, P1 3), 11 closed``: open and closed apart, never mixed."""
    parts = []
    opened = sum(view.hidden.values())
    if opened:
        by_severity = ", ".join(f"{severity} {count}" for severity, count in sorted(view.hidden.items()))
        parts.append(f"{opened} open ({by_severity})")
    if view.hidden_done:
        parts.append(f"{view.hidden_done} closed")
    return f"+{opened + view.hidden_done} more: " + ", ".join(parts)
