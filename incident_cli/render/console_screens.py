"""The console's other screens: one incident in full (kept current while open), and the keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from incident_cli.render.board import Board, Row
from incident_cli.render.detail import detail

DETAIL_REFRESH = 1.0  # seconds: the detail view follows the stream while open

KEYS = (
    ("q", "quit (exit status 0)"),
    ("p", "pause and resume the rows; the stream is still read, the status line counts what waits"),
    ("/", "filter as you type, on what the columns show (Enter keeps it, Esc clears it)"),
    ("s", "cycle the order: severity then newest opened, last activity, age, team"),
    ("\u2191 \u2193, j k", "select an incident"),
    ("PgUp PgDn", "a page up or down"),
    ("Home End, g G", "the first or the last incident"),
    ("Enter, d", "the incident in full, with the updates seen for it"),
    ("y", "copy the selected id (OSC 52 where the terminal allows it; it is shown too)"),
    ("?", "this help"),
    ("Esc", "back"),
)


# Offered only where the server has the mutations and the profile is not read-only (never in a replay).
ACTING_KEYS = (
    ("space", "mark the selected incident (again: unmark); an action applies to every marked one"),
    ("a", "acknowledge: out of the first state (NEW, DETECTED) into the next"),
    ("t", "take: assign to yourself"),
    ("c", "comment on its timeline"),
    ("e", "escalate: a higher severity, with a reason"),
    ("r", "resolve, with notes and an optional root cause"),
)


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "back")]

    def __init__(
        self, board: Board, key: str, clock: Callable[[], datetime],
        describe: Callable[[Row], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> None:
        super().__init__()
        self._board, self._key, self._clock = board, key, clock
        self._describe = describe  # asks the server for the incident in full: its timeline, owners, resolution
        self._server: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(""), id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.set_interval(DETAIL_REFRESH, self.show)
        row = self._board.rows.get(self._key)
        if self._describe is not None and row is not None:
            self.run_worker(self._fetch(row), exit_on_error=False)

    async def _fetch(self, row: Row) -> None:
        try:
            self._server = await self._describe(row) if self._describe is not None else None
        except Exception:  # the detail stays what the stream told; never a crash
            return
        self.show()

    def show(self) -> None:
        row = self._board.rows.get(self._key)
        content = (detail(row, self._clock(), server=self._server) if row is not None
                   else Text("(no longer on the board)", style="dim"))
        self.query_one("#detail", Static).update(content)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("question_mark", "app.pop_screen", show=False),
    ]
    CSS = "HelpScreen { align: center middle; } #help { width: auto; max-width: 100; padding: 1 2; border: round $accent; }"

    def __init__(self, *, acting: bool = False) -> None:
        super().__init__()
        self._acting = acting

    def compose(self) -> ComposeResult:
        text = Text("keys\n\n", style="bold")
        for key, what in KEYS + (ACTING_KEYS if self._acting else ()):
            text.append(f"{key:<12}", style="bold cyan")
            text.append(f"{what}\n")
        yield Static(text, id="help")
