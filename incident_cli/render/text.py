"""One human line per event, for scrolling panes and log files.

``17:22:01 P1 opened   0becd7b0 checkout: elevated 5xx rate (NEW)``: coloured on a
terminal, plain when piped, never wrapped. Titles are remembered (bounded) so updates
and state changes say which incident they are about.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.text import Text

from incident_cli import model
from incident_cli.memory import Memory
from incident_cli.render import template
from incident_cli.render.drops import DropReports
from incident_cli.render.status import StatusLines
from incident_cli.render.terminal import middle, safe_text, severity_text, short_id
from incident_cli.sanitize import sanitize


class TextLines:
    def __init__(
        self,
        console: Console,
        status: StatusLines | None = None,
        *,
        snapshots: bool = False,
        dropped: Callable[[], int] | None = None,
        template: str | None = None,
        time_format: str = "local",
        clock: Callable[[], datetime] | None = None,
        drops: DropReports | None = None,
        memory: Memory | None = None,
    ) -> None:
        self._console = console
        self._template = template
        self._time_format = time_format
        self._started = (clock or (lambda: datetime.now(UTC)))()
        self._status = status
        self._snapshots = snapshots
        self._dropped = dropped  # lines the output queue dropped since asked last
        self.drops = drops or DropReports()
        # Titles for lines about updates: from the watch's memory, or one of its own when alone.
        self._own = memory is None
        self._memory = memory if memory is not None else Memory()

    def write(self, event: model.StreamEvent) -> None:
        self._console.print(self.line(event), soft_wrap=True)
        count = self._dropped() if self._dropped is not None else 0
        if count:
            report = self.drops.dropped(count)
            if report is not None:
                self.report(report)

    def snapshot(self, event: model.IncidentSeen) -> None:
        self._remember(event)
        if self._snapshots and event.subscription == model.Label.BACKFILL:
            self.write(event)

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        if self._status is not None and not isinstance(event, model.Heartbeat):
            (self._status.for_source(source) if source else self._status).report(event)

    def stamp(self, moment: datetime) -> str:
        """--time: local clock (default), UTC, or relative to the start of the run."""
        if self._time_format == "utc":
            return moment.astimezone(UTC).strftime("%H:%M:%SZ")
        if self._time_format == "relative":
            return f"+{(moment - self._started).total_seconds():.1f}s"
        return moment.astimezone().strftime("%H:%M:%S")

    def line(self, event: model.StreamEvent) -> Text:
        if self._template is not None:
            self._remember(event)
            known = self._memory.about(event)
            return Text(template.render(self._template, template.view(event, known, self.stamp(event.received_at))))
        line = Text(self.stamp(event.received_at) + " ", style="dim")
        if event.source is not None:
            line.append(f"{middle(event.source, 30)} ", style="bold")
        line.append_text(severity_text(event.severity))
        match event:
            case model.IncidentSeen(incident=incident):
                self._remember(event)
                verb = "active" if event.subscription == model.Label.BACKFILL else "opened"
                self._head(line, verb, incident.id)
                line.append_text(safe_text(incident.title))
                if incident.state:
                    line.append(f" ({sanitize(incident.state, max_length=20)})", style="dim")
            case model.IncidentUpdated(update=update):
                self._head(line, "update", update.incident_id)
                line.append(sanitize(update.update_type or "UPDATED", max_length=20), style="bold")
                self._title(line, event)
            case model.StateChanged(change=change):
                self._head(line, "state", change.incident_id)
                line.append(
                    f"{sanitize(change.old_state or '?', max_length=20)} \u2192 "
                    f"{sanitize(change.new_state or '?', max_length=20)}",
                    style="bold",
                )
                if change.changed_by:
                    line.append(f" by {sanitize(change.changed_by, max_length=40)}", style="dim")
                self._title(line, event)
            case model.AlertReceived(alert=alert):
                self._head(line, "alert", alert.id)
                line.append_text(safe_text(alert.title))
                if alert.source:
                    line.append(f" ({sanitize(alert.source, max_length=40)})", style="dim")
            case _:
                self._head(line, event.kind, None)
                line.append_text(safe_text(template.compact(event.data), max_length=300))
        return line

    def _head(self, line: Text, verb: str, incident_id: str | None) -> None:
        line.append(f" {verb:<7} ")
        line.append(short_id(incident_id) if incident_id else "-", style="dim")
        line.append(" ")

    def _title(self, line: Text, event: model.StreamEvent) -> None:
        known = self._memory.about(event)
        title = known.title if known is not None else None
        if title:
            line.append("  ")
            line.append_text(safe_text(title, max_length=120, style="dim"))

    def _remember(self, event: model.StreamEvent) -> None:
        if self._own:
            self._memory.observe(event)
