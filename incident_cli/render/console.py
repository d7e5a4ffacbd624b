"""The interactive console: the board in a Textual application, when a person is at the keys.

Used when stdin, stdout and stderr are terminals (Textual draws on the terminal and reads
keys from it); elsewhere the Rich Live table draws the same board. The watch feeds the board
through ``ConsoleFeed`` (cheap, pure); the application redraws it a few times a second.
Textual is imported here only: the JSON-lines and text paths never pay for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from incident_cli.errors import IncidentsError, OutputError
from incident_cli.memory import Memory
from incident_cli.render import Output, OutputSpec, Streams
from incident_cli.render.board import Board, BoardFeed

if TYPE_CHECKING:
    from incident_cli.render.console_actions import Actor

R = TypeVar("R")
EXIT_DEADLINE = 3.0  # seconds the application may take to leave the alternate screen
TERMINAL_CHECK = 1.0  # seconds between checks that the terminal is still there (each wakes the process)
TERMINAL_GONE = 74  # EX_IOERR: the status the table ends with too when its terminal goes


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Playback(Protocol):
    """A replay under the keys (record.Player): p pauses it, the arrows seek."""

    paused: bool
    ended: bool

    def toggle(self) -> None: ...

    def seek(self, seconds: float) -> None: ...


class ConsoleFeed(BoardFeed):
    """The Output the watch writes to: every event reaches the board, paused or not. ``wake``:
    called when the board becomes dirty, once until it is drawn (the console sleeps till then)."""

    wake: Callable[[], object] | None = None
    _dirty = False

    @property
    def dirty(self) -> bool:
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        if value and not self._dirty and self.wake is not None:
            self.wake()
        self._dirty = value

    def reset(self) -> None:
        """Forget every row (a replay seeking back plays again from the start)."""
        self.board.reset()
        self.dirty = True


async def run_console(
    spec: OutputSpec,
    streams: Streams,
    run: Callable[[Output], Coroutine[Any, Any, R]],
    *,
    server: str,
    stop: Callable[[int], None],
    clock: Callable[[], datetime] | None = None,
    playback: Playback | None = None,
    actor: Actor | None = None,
    memory: Memory | None = None,
) -> R:
    """The console around ``run(feed)``; ``playback``: a replay the keys pause and seek.
    Quitting (q, Ctrl-C) ends the run with the key's status through ``stop``; the watch ending
    (a bound, an error) closes the console, and the error, if any, is said on the restored screen."""
    heartbeats = "updates" in spec.streams  # the reference server beats every 5 s on incidentUpdates
    board = Board(keep_resolved=spec.keep_resolved, subscriptions=spec.streams, heartbeat_period=5.0 if heartbeats else None,
                  memory=memory)
    board.connection.server = server
    board.replay, board.only, board.severities = spec.replay, spec.only, spec.severities
    feed = ConsoleFeed(board, clock or _utcnow)
    watching: asyncio.Task[R] = asyncio.create_task(run(feed))
    # Textual takes a good part of a second to import: a thread does it while the loop connects
    # and lists the incidents, so the first frame already has them.
    loaded = await asyncio.to_thread(importlib.import_module, "incident_cli.render.console_app")
    if watching.done():  # it ended before there was anything to show (a usage error, a one-shot failure)
        return await watching
    app = loaded.IncidentConsole(feed, fps=spec.fps, columns=spec.columns, labels=spec.label_columns, playback=playback,
                                 environ=streams.environ, actor=actor)
    drawing = asyncio.create_task(app.run_async(), name="incidents-console")
    gone = TerminalWatch(asyncio.get_running_loop(), lambda: app.exit(TERMINAL_GONE))
    try:
        done, _ = await asyncio.wait({watching, drawing}, return_when=asyncio.FIRST_COMPLETED)
        if gone.happened:
            raise OutputError("cannot draw the console any more: the terminal hung up")
        if watching in done:
            with contextlib.suppress(IncidentsError, asyncio.CancelledError):
                feed.board.ended(_failure(watching))
            app.exit()
            await asyncio.wait({drawing}, timeout=EXIT_DEADLINE)
            result = watching.result()
            last_frame(spec, streams, feed)  # a bounded run leaves what it showed on the normal screen
            return result
        stop(app.return_value if app.return_value is not None else 0)  # the person at the keys quit
        return await watching  # cancelled by the stop, as a signal would
    finally:
        gone.stop()
        for task in (watching, drawing):
            if not task.done():
                task.cancel()
        if not drawing.done():
            app.exit()
        await asyncio.gather(watching, drawing, return_exceptions=True)


def last_frame(spec: OutputSpec, streams: Streams, feed: ConsoleFeed) -> None:
    """The console's last frame, drawn once on the normal screen (the alternate screen it lived
    on is gone), as the live table leaves its own: a run that ended by itself shows what it saw."""
    from incident_cli.render.table import TableView
    from incident_cli.render.terminal import make_console

    console = make_console(streams.stdout, color=spec.color, environ=streams.environ)
    frame = TableView(console, feed.board, max_rows=spec.max_rows, clock=feed.clock, columns=spec.columns,
                      labels=spec.label_columns)
    with contextlib.suppress(OSError):
        console.print(frame.render())


class TerminalWatch:
    """Notices a terminal that went away without a hang-up signal reaching us (a shell that
    kept it, a session of our own): the console would otherwise draw into the void for ever.

    A thread, because Textual's own writes to a dead terminal can block the event loop: it
    asks the loop to end the console, and if the process is still here EXIT_DEADLINE later,
    ends it with status 74 (EX_IOERR), as the table does.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        end: Callable[[], None],
        fd: int = 2,
        exit_process: Callable[[int], object] = os._exit,
        is_terminal: Callable[[int], bool] = os.isatty,
    ) -> None:
        self.happened = False
        self._loop, self._end, self._fd, self._exit, self._is_terminal = loop, end, fd, exit_process, is_terminal
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="incidents-terminal", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopped.wait(TERMINAL_CHECK):
            if not self._is_terminal(self._fd):
                self.happened = True
                self._loop.call_soon_threadsafe(self._end)
                if not self._stopped.wait(EXIT_DEADLINE):
                    self._exit(TERMINAL_GONE)
                return

    def stop(self) -> None:
        self._stopped.set()


def _failure(task: asyncio.Task[Any]) -> str | None:
    error = task.exception()
    return str(error) if error is not None else None
