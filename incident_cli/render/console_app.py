"""The console's Textual application: the board as a table you can work in.

Keys, as k9s taught on-call engineers to expect: q quit, p pause (the stream is still read
and counted; the status line says how many changes wait), / filter as you type, s cycle the
sort, arrows or j/k select, Enter or d detail, y copy the id, ? help, Esc back; and where the
server lets you act (console_actions.py): a ack, t take, c comment, e escalate, r resolve,
space to mark several rows.
Every cell and line is a sanitised ``Text``: Textual parses markup in plain strings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from incident_cli.render.board import ORDERS, Row, View
from incident_cli.render.clipboard import copy
from incident_cli.render.columns import COLUMNS, GROWS, Column, choose, share
from incident_cli.render.console import ConsoleFeed, Playback
from incident_cli.render.console_actions import ACTION_KEYS, ActionKeys, Actor, row_key
from incident_cli.render.console_screens import DetailScreen, HelpScreen
from incident_cli.render.headline import status_line
from incident_cli.render.table import hidden_summary
from incident_cli.render.terminal import ago
from incident_cli.sanitize import sanitize

IDLE_REDRAW = 1.0  # seconds: ages and "last message" move even when nothing arrives
FILL_SHARE = 0.1  # of the time, at most, spent refilling the rows (Textual then lays them out too): the stream shares the loop
PADDING = 1  # the table's cell padding, each side
SCROLLBAR = 2  # columns a vertical scrollbar may take
QUIT, INTERRUPTED = 0, 130


SEEK = 10.0  # seconds a left or right arrow moves a replay


class IncidentConsole(ActionKeys, App[int]):
    TITLE = "incidents"
    ENABLE_COMMAND_PALETTE = False  # every key is ours, shown in the footer
    CSS = """
    #status { height: 1; }
    #rows { height: 1fr; }
    #rows.stale { text-opacity: 55%; }
    #more { height: 1; color: $text-muted; }
    #filter { dock: bottom; height: 1; display: none; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_console", "quit"),
        Binding("ctrl+c", "interrupt", "quit", show=False, priority=True),
        Binding("p", "pause", "pause"),
        Binding("space", "mark", "mark"),
        *(Binding(key, f"act('{kind}')", label) for key, kind, label in ACTION_KEYS),
        Binding("slash", "filter", "filter"),
        Binding("s", "sort", "sort"),
        Binding("d", "detail", "detail"),
        Binding("y", "copy_id", "copy id"),
        Binding("question_mark", "help", "help"),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        Binding("escape", "clear_filter", "back", show=False),
        Binding("left", f"seek({-SEEK})", f"-{SEEK:g}s", priority=True),  # a replay's only
        Binding("right", f"seek({SEEK})", f"+{SEEK:g}s", priority=True),
    ]

    def __init__(self, feed: ConsoleFeed, *, fps: float = 4.0, columns: tuple[str, ...] = (),
                 labels: tuple[str, ...] = (), playback: Playback | None = None,
                 environ: Mapping[str, str] | None = None, actor: Actor | None = None) -> None:
        super().__init__()
        self.actor = actor  # carries out a, t, c, e, r where the server lets this user act
        self.marked: set[str] = set()  # row keys marked with space
        self.in_flight: dict[str, str] = {}  # row key -> "acknowledging"...
        self.said: tuple[Text, float] | None = None  # the last action's outcome, and when
        self._could_act = False
        self.feed = feed
        self.environ = environ or {}  # where y finds tmux or a clipboard tool
        self.playback = playback
        self.board = feed.board
        self._interval = 1.0 / max(fps, 0.1)
        self._columns, self._labels = columns, labels
        self.order = ORDERS[0]
        self.filter_text = ""
        self.typing = False  # after /: keys go into the filter, not to the bindings
        self.paused_at: int | None = None  # board.events when paused
        self.shown: View | None = None  # the view on screen now (held while paused)
        self._layout: list[Column] = []
        self._widths: list[int] = []  # each column's, as drawn: a longer cell is cut with an ellipsis
        self._width = 0
        self._last_frame = 0.0  # monotonic
        self._next_fill = 0.0  # monotonic time before which the rows are not refilled (FILL_SHARE)
        self._frame_asked = False  # a change asked for the next frame
        self._lines: dict[str, Text] = {}  # the one-line Statics' text, as drawn
        self._drawn: list[str] = []  # the row keys in the table, in order
        self._open_drawn: set[str] = set()  # of those, the ones that were open when drawn
        # per drawn row: what its cells were made from, and the cells
        self._made: dict[str, tuple[tuple[object, ...], list[Text]]] = {}
        self.frames = 0  # drawn so far, for tests and benchmarks

    # ---- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="status")
        yield Rows(id="rows", cursor_type="row", zebra_stripes=False, cell_padding=PADDING)
        yield Static(Text(""), id="more")
        yield Static(Text(""), id="filter")
        yield Footer()

    def on_mount(self) -> None:
        # Woken by what changes, not by polling: idle, the loop sleeps but for the clock's tick.
        self.set_interval(IDLE_REDRAW, self.tick)
        self.feed.wake = lambda: self.call_later(self.changed)  # the watch's task: into the app's own context
        self.redraw()
        self.query_one("#rows", DataTable).focus()

    def on_unmount(self) -> None:
        self.feed.wake = None

    def changed(self) -> None:
        """The board changed (the feed says so once until the next frame): a frame when the fps
        and the fill share allow."""
        if self._frame_asked:
            return
        self._frame_asked = True
        delay = max(self._last_frame + self._interval, self._next_fill) - time.monotonic()
        if delay > 0:
            self.set_timer(delay, self._changed_frame, name="incidents-frame")
        else:
            self.call_later(self._changed_frame)

    def _changed_frame(self) -> None:
        self._frame_asked = False
        if self.feed.dirty or self.size.width != self._width:
            self.redraw()

    def on_resize(self, _event: events.Resize) -> None:
        self.changed()

    def tick(self) -> None:
        """The clock: ages and the status line's times move even when nothing arrives."""
        if self.can_act() != self._could_act:  # the schema is known now (or a read-only answer came)
            self._could_act = not self._could_act
            self.refresh_bindings()
        if time.monotonic() >= self._next_fill:
            self.redraw()
        else:
            # A storm: the rows wait for their turn (FILL_SHARE), or a refill a second would take half
            # the loop from the stream; the status line's times and connection still move.
            self._status()

    # ---- drawing -----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.feed.clock()

    def redraw(self) -> None:
        """The status line always; the rows unless paused."""
        self._last_frame, self.frames = time.monotonic(), self.frames + 1
        now = self.now
        if self.paused_at is None or self.shown is None:
            self.feed.dirty = False
            shown = [column.key for column in self._layout] or None  # what the person can see matches
            keep = (lambda row: row.matches(self.filter_text.strip(), shown)) if self.filter_text.strip() else None
            self.shown = self.board.view(now, None, order=self.order, keep=keep)
            started = time.monotonic()
            self._fill(self.shown, now)
            # Thousands of rows take a while to refill: under a flood the frames thin out, the stream does not.
            self._next_fill = started + (time.monotonic() - started) / FILL_SHARE
        else:
            self._ages(now)  # paused: the rows hold still, but time does not
        self._status()

    def _status(self) -> None:
        """The status line and the line under the rows, for the view on screen."""
        view = self.shown
        if view is None:
            return  # nothing drawn yet
        now = self.now  # the counts are the view's; staleness is now's (a storm that stopped shows at once)
        self._line("#status", status_line(self.board, now, view.counts, self.board.stale(now), lead=self._mode()))
        self._line("#more", Text(self._more(view), style="dim"))
        # Disconnected, the rows are what was last seen, not what is: they fade until the repair.
        self.query_one("#rows", DataTable).set_class(self.board.disconnected, "stale")

    def _line(self, selector: str, text: Text) -> None:
        """One of the one-line Statics: redrawn only when its text changed, and never laid out
        again (its height is fixed): idle, a second's frame is a few cells, not a reflow."""
        if self._lines.get(selector) is not None and _same(self._lines[selector], text):
            return
        self._lines[selector] = text
        self.query_one(selector, Static).update(text, layout=False)

    def _ages(self, now: datetime) -> None:
        """While paused: the AGE of each held row moves on; nothing else changes."""
        if not any(column.key == "age" for column in self._layout):
            return
        table = self.query_one("#rows", DataTable)
        place = [column.key for column in self._layout].index("age")
        for key in self._drawn:
            row = self.board.rows.get(key)
            if row is None:
                continue
            cell = self._cells(row, now)[place]
            if not _same(table.get_cell(key, "age"), cell):
                table.update_cell(key, "age", cell)

    def _fill(self, view: View, now: datetime) -> None:
        table = self.query_one("#rows", DataTable)
        keys = [row_key(row) for row in view.rows]
        if self.size.width == self._width and self._layout and keys == self._drawn:
            self._update(table, view, now)  # the same rows in the same order: only the cells that changed
            return
        selected = self.selected_key()
        position = table.cursor_row
        if self.size.width != self._width or not self._layout:
            self._width = self.size.width
            self._layout = choose(self._columns, self._labels, several=bool(self.board.sources), width=self._width)
        title = self._title_width()
        widths = share(self._layout, [column.width or title for column in self._layout], _wanted(view.rows, now))
        if widths != self._widths or not table.columns:
            # Other rows, other needs: the width the title does not use goes to a column that is cut.
            self._widths, self._made = widths, {}  # cells made for other widths
            table.clear(columns=True)
            for column, width in zip(self._layout, self._widths, strict=True):
                table.add_column(Text(column.header, style="bold"), width=width, key=column.key)
        else:
            table.clear()
        made, self._made = self._made, {}
        for row, key in zip(view.rows, keys, strict=True):
            looks = self._looks(row, key, now)
            before = made.get(key)
            cells = before[1] if before is not None and before[0] == looks else self._cells(row, now)
            self._made[key] = (looks, cells)
            table.add_row(*cells, key=key)
        was_open = selected in self._open_drawn
        self._drawn = keys
        self._open_drawn = {key for row, key in zip(view.rows, keys, strict=True) if not row.done}
        if selected is None or selected not in table.rows:
            return
        chosen = self.board.rows.get(selected)
        if was_open and chosen is not None and chosen.done and self._open_drawn:
            # The selected incident just closed and sank: the cursor stays where the work is, at its
            # place among the open rows (which come first in every order), never dragged down after it.
            table.move_cursor(row=min(position, len(self._open_drawn) - 1), animate=False)
        else:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    def _update(self, table: DataTable[Text], view: View, now: datetime) -> None:
        for row, key in zip(view.rows, self._drawn, strict=True):
            looks = self._looks(row, key, now)
            if self._made[key][0] == looks:
                continue  # most rows, most frames: nothing they show has changed
            cells = self._cells(row, now)
            self._made[key] = (looks, cells)
            for column, cell in zip(self._layout, cells, strict=True):
                if not _same(table.get_cell(key, column.key), cell):
                    table.update_cell(key, column.key, cell)

    def _title_width(self) -> int:
        fixed = sum(column.width + 2 * PADDING for column in self._layout if column.width)
        titles = sum(1 for column in self._layout if not column.width)
        return max(12, (self._width - fixed - SCROLLBAR) // max(titles, 1) - 2 * PADDING)

    def _looks(self, row: Row, key: str, now: datetime) -> tuple[object, ...]:
        return (*_looks(row, now), key in self.marked, self.in_flight.get(key))

    def _cells(self, row: Row, now: datetime) -> list[Text]:
        cells = [column.cell(row, now) for column in self._layout]
        if self.marked or self.in_flight:
            self.marks(row, cells, {column.key: place for place, column in enumerate(self._layout)})
        for cell, width in zip(cells, self._widths, strict=True):
            cell.truncate(width, overflow="ellipsis")  # a cut says so: the table itself would only crop
        if row.done:  # plain and dim: a closed P0 keeps no loud badge
            return [Text(cell.plain, style="dim") for cell in cells]
        if row.changed_within(now):
            for cell in cells:
                cell.stylize("bold")
        return cells

    def _mode(self) -> Text:
        extra = Text()
        said = self.said_now()
        if said is not None:
            extra.append_text(said)
            extra.append("  ")
        if self.marked:
            self.marked &= self.board.rows.keys()  # an incident that left the board is no longer marked
        if self.marked:
            extra.append(f" {len(self.marked)} marked (space unmarks) ", style="bold magenta")
        if self.playback is not None and self.playback.ended:
            extra.append(" end of the recording (\u2190 goes back, q quits) ", style="bold black on cyan")
        elif self.playback is not None and self.playback.paused:
            extra.append(" \u23f8 PAUSED (p plays, \u2190 \u2192 10 s) ", style="bold black on yellow")
        if self.paused_at is not None:
            waiting = self.board.events - self.paused_at
            extra.append(f"\u23f8 PAUSED: {waiting:,} changes waiting (p resumes) ", style="bold black on yellow")
        if self.filter_text:
            extra.append(f" filter: {sanitize(self.filter_text, max_length=40)} ", style="bold cyan")
        if self.order != ORDERS[0]:
            extra.append(f" sort: {self.order} ", style="cyan")
        return extra

    def _more(self, view: View) -> str:
        if not view.rows:
            return "no incidents match the filter" if self.filter_text else "no incidents to show yet"
        hidden = hidden_summary(view) if view.hidden or view.hidden_done else ""
        closed = sum(1 for row in view.rows if row.done)
        counted = f"{len(view.rows) - closed:,} open" + (f", {closed:,} closed" if closed else "")
        return counted + (f"  ({hidden})" if hidden else "")

    # ---- what is selected --------------------------------------------------------------

    def selected_key(self) -> str | None:
        table = self.query_one("#rows", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected_row(self) -> Row | None:
        key = self.selected_key()
        return self.board.rows.get(key) if key is not None else None

    # ---- keys --------------------------------------------------------------------------

    def action_quit_console(self) -> None:
        self.exit(QUIT)

    def action_interrupt(self) -> None:
        self.exit(INTERRUPTED)

    def action_pause(self) -> None:
        if self.playback is not None:  # a replay pauses its clock, not only the view
            self.playback.toggle()
        else:
            self.paused_at = None if self.paused_at is not None else self.board.events
        self.redraw()

    def action_seek(self, seconds: float) -> None:
        if self.playback is not None:
            self.playback.seek(seconds)

    def action_sort(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self._force()

    # The filter is typed here, not in an Input widget: moving the focus is scheduled, and keys
    # typed right after / (a fast typist, a paste, tmux send-keys) would be lost on the way.

    def action_filter(self) -> None:
        self.typing = True
        self._show_filter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While typing a filter, keys are text: only Esc and Ctrl-C keep their meaning.
        The arrows seek a replay only (and are not offered in the footer otherwise)."""
        if action == "seek" and (self.playback is None or self.typing):
            return False
        if action in ("act", "mark") and not self.can_act():
            return False  # not offered: no mutations, read-only, or a replay
        return not self.typing or action in ("clear_filter", "interrupt")

    def on_key(self, event: events.Key) -> None:
        if not self.typing:
            return
        if event.key == "enter":
            self.typing = False  # the filter stays; the keys drive the rows again
        elif event.key == "backspace":
            self.filter_text = self.filter_text[:-1]
        elif event.is_printable and event.character:
            self.filter_text += event.character
        else:
            return
        event.stop()
        event.prevent_default()
        self._show_filter()
        self._force()

    def _show_filter(self) -> None:
        line = self.query_one("#filter", Static)
        line.display = self.typing
        text = Text("/", style="bold")
        text.append(sanitize(self.filter_text, max_length=200))
        text.append("\u258f  what the columns show; Enter keeps it, Esc clears it", style="dim")
        line.update(text)

    def action_clear_filter(self) -> None:
        if self.typing or self.filter_text:
            self.typing, self.filter_text = False, ""
            self._show_filter()
            self._force()

    def action_down(self) -> None:
        self.query_one("#rows", DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one("#rows", DataTable).action_cursor_up()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        key = self.selected_key()
        if key is not None:
            describe = self.actor.describe if self.actor is not None and self.playback is None else None
            self.push_screen(DetailScreen(self.board, key, self.feed.clock, describe))

    def action_copy_id(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        shown = sanitize(row.id, max_length=80)
        went = copy(row.id, self.environ)
        if went is not None:
            self.notify(f"copied {shown} to {went}", markup=False)
            return
        # No tmux, no clipboard tool: OSC 52, which only the terminal can take or ignore. The id is
        # shown either way, to copy by hand.
        self.copy_to_clipboard(row.id)
        self.notify(f"{shown}: sent to the terminal's clipboard (OSC 52); it arrives only where the terminal "
                    "allows it", markup=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(acting=self.can_act()))

    def _force(self) -> None:
        """Redraw the rows now, paused or not: the person asked for another view."""
        self.shown = None
        self.redraw()


class Rows(DataTable[Text]):
    """The rows; Enter opens the detail, except while a filter is being typed (it ends it).
    Home and g go to the first row, End and G to the last (DataTable's own scroll sideways)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "first_row", show=False),
        Binding("end,G", "last_row", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = getattr(self.app, "typing", False)
        return not (typing and action in ("select_cursor", "first_row", "last_row"))

    def action_first_row(self) -> None:
        self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        self.move_cursor(row=max(self.row_count - 1, 0), animate=False)


def _wanted(rows: tuple[Row, ...], now: datetime) -> dict[str, int]:
    """The width each growable column's longest text needs among ``rows``."""
    return {key: max((COLUMNS[key].cell(row, now).cell_len for row in rows), default=0)
            for key in ("title", *GROWS)}


def _looks(row: Row, now: datetime) -> tuple[object, ...]:
    """Everything a row's cells are made from: while it is the same, so are they."""
    return (row.severity, row.title, row.state, row.owner, row.category, row.resources, row.last_change, row.source,
            tuple(row.labels.items()), row.changed_within(now), ago(row.opened, now), ago(row.last_activity, now))


def _same(drawn: Text, cell: Text) -> bool:
    """Text's own == leaves out the base style (a row that closed is the same text, dimmed)."""
    return drawn.plain == cell.plain and drawn.style == cell.style and drawn.spans == cell.spans
