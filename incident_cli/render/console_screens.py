"""The console's other screens: one incident in full (kept current while open), and the keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from incident_cli.render.board import Board
from incident_cli.render.detail import detail

DETAIL_REFRESH = 1.0  # seconds: the detail view follows the stream while open

KEYS = (
    ("q", "quit (exit status 0)"),
    ("p, space", "pause and resume the rows; the stream is still read, the status line counts what waits"),
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


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "back")]

    def __init__(self, board: Board, key: str, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._board, self._key, self._clock = board, key, clock

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(""), id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.set_interval(DETAIL_REFRESH, self.show)

    def show(self) -> None:
        row = self._board.rows.get(self._key)
        content = detail(row, self._clock()) if row is not None else Text("(no longer on the board)", style="dim")
        self.query_one("#detail", Static).update(content)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("question_mark", "app.pop_screen", show=False),
    ]
    CSS = "HelpScreen { align: center middle; } #help { width: auto; max-width: 100; padding: 1 2; border: round $accent; }"

    def compose(self) -> ComposeResult:
        text = Text("keys\n\n", style="bold")
        for key, what in KEYS:
            text.append(f"{key:<12}", style="bold cyan")
            text.append(f"{what}\n")
        yield Static(text, id="help")
