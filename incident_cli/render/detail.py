"""One incident in full: what the console's detail view shows (and ``incidents show`` prints).

Every server string goes through ``safe_text``: a title, a label or a description is shown
literally, never as markup or a control sequence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from incident_cli.model import parse_time
from incident_cli.render.board import Row
from incident_cli.render.terminal import ago, safe_text, severity_text
from incident_cli.sanitize import sanitize
from incident_cli.wording import NOBODY

DESCRIPTION_LIMIT = 4_000  # characters of a description shown; a novel is cut, not rendered
TIMELINE_LIMIT = 200  # the newest timeline events shown


def detail(
    row: Row, now: datetime, *, none: str = "(none while watching)", server: dict[str, Any] | None = None
) -> RenderableType:
    """The incident's fields, its description, and the updates seen for it, newest first;
    ``server``: the incident as the server described it in full (assignees, resolution,
    timeline), where it was asked for."""
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column()
    title = safe_text(row.title, max_length=500) if row.title is not None else Text("(no details)", style="dim")
    fields.add_row("title", title)
    fields.add_row("id", safe_text(row.id, max_length=100))
    fields.add_row("severity", severity_text(row.severity))
    fields.add_row("state", safe_text(row.state or "?", max_length=40, style="dim" if row.done else ""))
    owners = server.get("assignees") if server is not None else None
    if isinstance(owners, list) and len(owners) > 1:
        fields.add_row("owners", safe_text(", ".join(str(name) for name in owners), max_length=200))
    else:
        fields.add_row("owner", safe_text(row.owner or NOBODY, max_length=100))
    fields.add_row("team", safe_text(row.team or "-", max_length=100))
    if row.source is not None:
        fields.add_row("server", safe_text(row.source, max_length=100))
    fields.add_row("type", safe_text(row.category or "-", max_length=60))
    fields.add_row("resources", safe_text(", ".join(row.resources) or "-", max_length=500))
    labels = ", ".join(f"{key}={value}" for key, value in sorted(row.labels.items()))
    fields.add_row("labels", safe_text(labels or "-", max_length=500))
    fields.add_row("opened", Text(_when(row.opened, now)))
    if row.updated is not None:
        fields.add_row("updated", Text(_when(row.updated, now)))
    if row.resolved is not None:
        fields.add_row("resolved", Text(_when(row.resolved, now)))
    if row.history:  # a change seen while watching (or in a recording), not a listing's time
        fields.add_row("last change", Text(_when(row.last_activity, now)))
    if row.done_since is not None:
        fields.add_row("closed", Text(_when(row.done_since, now)))
    _resolution(fields, server.get("resolution") if server is not None else None)
    parts: list[RenderableType] = [fields, Text("")]
    parts.append(Text("description", style="bold"))
    if row.description:
        # Its lines kept; no control sequence survives (sanitize keeps only tab and newline).
        parts.append(Text(sanitize(row.description, max_length=DESCRIPTION_LIMIT, single_line=False)))
    else:
        parts.append(Text("(none given)", style="dim"))
    timeline = server.get("timeline") if server is not None else None
    if isinstance(timeline, list) and timeline:
        parts += [Text(""), Text("timeline", style="bold"), _timeline(timeline, now)]
    parts += [Text(""), Text("updates seen", style="bold")]
    if row.history:
        updates = Table(box=box.SIMPLE, show_header=False, pad_edge=False, show_edge=False)
        updates.add_column(no_wrap=True, style="dim")
        updates.add_column()
        for when, what in reversed(row.history):
            updates.add_row(_when(when, now), safe_text(what, max_length=120))
        parts.append(updates)
    else:
        parts.append(Text(none, style="dim"))
    return Group(*parts)


def _resolution(fields: Table, resolution: Any) -> None:
    """Who resolved it, how, with what notes and root cause (where the server said)."""
    if not isinstance(resolution, dict):
        return
    by, how = resolution.get("resolvedBy"), resolution.get("resolutionMethod")
    said = " ".join(f"{key} {value}" for key, value in (("by", by), ("method", how)) if value)
    fields.add_row("resolution", safe_text(said or "-", max_length=200))
    for key, name in (("notes", "notes"), ("rootCause", "root cause")):
        if resolution.get(key):
            fields.add_row(name, safe_text(str(resolution[key]), max_length=500))


def _timeline(events: list[Any], now: datetime) -> Table:
    """The server's timeline, newest first: when, what, who, and what was said."""
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False, show_edge=False)
    table.add_column(no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    table.add_column()
    for event in reversed(events[-TIMELINE_LIMIT:]):
        if not isinstance(event, dict):
            continue
        what = safe_text(str(event.get("eventType") or "?"), max_length=30)
        actor = event.get("actor")
        said = " ".join(str(part) for part in (f"{actor}:" if actor else None, event.get("description")) if part)
        table.add_row(_when(parse_time(event.get("timestamp")), now), what, safe_text(said, max_length=300))
    return table


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "?"
    return f"{moment.astimezone():%Y-%m-%d %H:%M:%S} ({ago(moment, now)} ago)"
