"""The console's actions: a ack, t take, c comment, e escalate, r resolve, space marks rows.

An action applies to the marked rows, else to the selected one. A modal names them before
anything is sent (action_screen.py); while it is in flight each row says so; the outcome,
confirmed by the server's answer (and then by the stream), is one sanitised line in the
status area, a failure as visibly as a success. The keys exist only where an ``Actor`` can
act (the server has the mutations, the profile is not read-only); a replay has none.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from rich.text import Text

from incident_cli.render.board import Row
from incident_cli.sanitize import sanitize
from incident_cli.values import frozen

PROGRESS = {"ack": "acknowledging", "take": "taking", "comment": "commenting", "escalate": "escalating",
            "resolve": "resolving"}
SAID_FOR = 30.0  # seconds an outcome stays in the status area
ACTION_KEYS = (("a", "ack", "ack"), ("t", "take", "take"), ("c", "comment", "comment"), ("e", "escalate", "escalate"),
               ("r", "resolve", "resolve"))


@frozen
class Outcome:
    """What an action did: a line per incident it changed, and a line per failure."""

    done: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


class Actor(Protocol):
    """Carries out the console's actions (act.py's ConsoleActor, or a test's)."""

    def available(self) -> bool: ...

    async def act(self, kind: str, values: dict[str, str], rows: list[Row]) -> Outcome: ...

    async def describe(self, row: Row) -> dict[str, Any] | None:
        """The incident as its server describes it in full (timeline, assignees, resolution)."""
        ...


class ActionKeys:
    """Mixed into the console app: marks, the modal, in-flight rows, and the outcome line."""

    actor: Actor | None
    marked: set[str]
    in_flight: dict[str, str]
    said: tuple[Text, float] | None
    playback: Any
    board: Any

    def can_act(self) -> bool:
        return self.actor is not None and self.playback is None and self.actor.available()

    def action_mark(self) -> None:
        key = self.selected_key()  # type: ignore[attr-defined]
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self._force()  # type: ignore[attr-defined]
        self.action_down()  # type: ignore[attr-defined]  # as k9s does: mark and move on

    def action_act(self, kind: str) -> None:
        rows = [row for key in sorted(self.marked) if (row := self.board.rows.get(key)) is not None]
        if not rows:
            row = self.selected_row()  # type: ignore[attr-defined]
            rows = [row] if row is not None else []
        if not rows:
            return
        from incident_cli.render.action_screen import ActionScreen  # Textual: only where the console runs

        self.push_screen(ActionScreen(kind, rows), callback=lambda values: self._send(kind, values, rows))  # type: ignore[attr-defined]

    def _send(self, kind: str, values: dict[str, str] | None, rows: list[Row]) -> None:
        if values is None:
            self.tell(Text("cancelled: nothing sent", style="dim"))
            return
        for row in rows:
            self.in_flight[row_key(row)] = PROGRESS[kind]
        self._force()  # type: ignore[attr-defined]
        self.run_worker(self._acting(kind, values, rows), group="actions", exit_on_error=False)  # type: ignore[attr-defined]

    async def _acting(self, kind: str, values: dict[str, str], rows: list[Row]) -> None:
        assert self.actor is not None
        try:
            outcome = await self.actor.act(kind, values, rows)
        except Exception as error:  # the console never dies of an action
            outcome = Outcome(failed=(f"{kind} failed: {type(error).__name__}: {error}",))
        for row in rows:
            self.in_flight.pop(row_key(row), None)
            self.marked.discard(row_key(row))
        if outcome.failed:
            more = f" (and {len(outcome.failed) - 1} more)" if len(outcome.failed) > 1 else ""
            self.tell(Text(sanitize(outcome.failed[0], max_length=160) + more, style="bold white on red"))
        elif outcome.done:
            more = f" (and {len(outcome.done) - 1} more)" if len(outcome.done) > 1 else ""
            self.tell(Text(sanitize(outcome.done[0], max_length=160) + more, style="bold green"))
        self._force()  # type: ignore[attr-defined]

    def tell(self, line: Text) -> None:
        self.said = (line, time.monotonic())
        self._status()  # type: ignore[attr-defined]

    def said_now(self) -> Text | None:
        if self.said is None or time.monotonic() - self.said[1] > SAID_FOR:
            return None
        return self.said[0]

    def marks(self, row: Row, cells: list[Text], places: dict[str, int]) -> None:
        """A marked row's id shows it; a row in flight says what is under way in its LAST (or TITLE)."""
        key = row_key(row)
        if key in self.marked and "id" in places:
            cells[places["id"]].stylize("reverse bold magenta")
        doing = self.in_flight.get(key)
        place = places.get("last", places.get("title"))
        if doing is not None and place is not None:
            cells[place] = Text(f"{doing}\u2026", style="bold yellow")


def row_key(row: Row) -> str:
    """A row's key in the board and the table: its id, with its server's name when there are several."""
    return row.id if row.source is None else f"{row.source}/{row.id}"
