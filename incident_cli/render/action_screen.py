"""The console's confirmation for an action: it names the incidents before anything is sent,
asks for what the action needs (a comment, a severity and reason, notes), Enter sends, Esc
cancels. Every server string is a sanitised ``Text``; what the person types stays in Input.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from incident_cli.operations import SEVERITIES
from incident_cli.render.board import Row
from incident_cli.render.terminal import safe_text, severity_text

TITLES = {"ack": "Acknowledge", "take": "Take", "comment": "Comment on", "escalate": "Escalate", "resolve": "Resolve"}
# What each action asks for: (field, label, required)
FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "comment": (("comment", "comment", True),),
    "escalate": (("severity", "new severity, P0 to P4", True), ("reason", "reason (goes on the timeline)", True)),
    "resolve": (("notes", "notes: what was done", True), ("root_cause", "root cause (optional)", False)),
}
SHOWN = 8  # incidents named in full; more are counted


class ActionScreen(ModalScreen[dict[str, str] | None]):
    """Returns what was typed (empty for ack and take) on Enter, None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel"),
        Binding("enter", "send", "send", priority=False),
    ]
    CSS = """
    ActionScreen { align: center middle; }
    #action { width: 90; max-width: 100%; height: auto; padding: 1 2; border: round $warning; background: $surface; }
    #action Input { margin-top: 1; }
    #problem { color: $error; height: auto; }
    """

    def __init__(self, kind: str, rows: list[Row]) -> None:
        super().__init__()
        self.kind, self.rows = kind, rows

    def compose(self) -> ComposeResult:
        with Vertical(id="action"):
            yield Static(self._named(), id="named")
            for name, label, _ in FIELDS.get(self.kind, ()):
                yield Input(value=self._default(name), placeholder=label, id=f"field-{name}")
            yield Static(Text(""), id="problem")
            yield Static(Text("Enter sends, Esc cancels: nothing is sent before Enter", style="dim"))

    def _named(self) -> Text:
        count = len(self.rows)
        text = Text(f"{TITLES[self.kind]} {count} incident{'s' if count != 1 else ''}?\n\n", style="bold")
        for row in self.rows[:SHOWN]:
            text.append_text(safe_text(row.id[:8], max_length=8))
            text.append(" ")
            text.append_text(severity_text(row.severity))
            text.append(" ")
            text.append_text(safe_text(row.title or "(no title)", max_length=60))
            if self.kind == "take" and row.owner:
                text.append_text(safe_text(f"  (now {row.owner}'s)", max_length=40, style="bold yellow"))
            text.append("\n")
        if count > SHOWN:
            text.append(f"and {count - SHOWN} more\n", style="dim")
        return text

    def _default(self, name: str) -> str:
        if name != "severity":
            return ""
        known = [row.severity for row in self.rows if row.severity in SEVERITIES]
        highest = min((SEVERITIES.index(s) for s in known), default=1)
        return SEVERITIES[max(highest - 1, 0)]  # one step up from the highest marked

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        place = inputs.index(event.input)
        name, label, required = FIELDS[self.kind][place]
        if required and not event.input.value.strip():
            self._problem(f"{_name(label)} is required")
            return
        if place + 1 < len(inputs) and not inputs[place + 1].value:
            inputs[place + 1].focus()  # Enter moves on while a field waits
            return
        self.action_send()

    def action_send(self) -> None:
        values = {name: self.query_one(f"#field-{name}", Input).value.strip() for name, _, _ in FIELDS.get(self.kind, ())}
        for name, label, required in FIELDS.get(self.kind, ()):
            if required and not values[name]:
                self._problem(f"{_name(label)} is required")
                return
        if self.kind == "escalate":
            values["severity"] = values["severity"].upper()
            if values["severity"] not in SEVERITIES:
                self._problem("the severity is one of P0, P1, P2, P3, P4")
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _problem(self, said: str) -> None:
        self.query_one("#problem", Static).update(Text(said))


def _name(label: str) -> str:
    """``notes: what was done`` -> ``notes``."""
    return label.split(":")[0].split(" (")[0].split(",")[0]
