"""``--template '{severity} {title} ({state})'``: one line per event, laid out by the user.

Only ``{name}`` and ``{a.b.c}`` lookups into a fixed view of the event, with an optional
width, alignment and cut (``{severity:<4}``, ``{title:.40}``, ``{id:>8.8}``), never Python's
format machinery (no attribute access, no conversions); ``{{`` and ``}}`` are braces.
Values are sanitised like every other server string. Go's ``{{.severity}}`` (gh, kubectl)
is answered with the same template written here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from incident_cli import model
from incident_cli.errors import UsageError
from incident_cli.memory import Known
from incident_cli.sanitize import sanitize
from incident_cli.wording import NOBODY

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w]*(?:\.[\w]+)*)(?::([<>^]?)(\d*)(?:\.(\d+))?)?\}|\{|\}")
_GO = re.compile(r"\{\{\s*\.([\w.]+)\s*\}\}")  # {{.severity}}, as gh's and kubectl's templates say it
TOP_LEVEL = ("kind", "subscription", "severity", "id", "title", "state", "team", "owner", "time", "data")


def check(template: str) -> str:
    """Refuse an unknown top-level name or a stray brace now, not at the first event."""
    if _GO.search(template):
        ours = _GO.sub(lambda match: "{" + match.group(1) + "}", template)
        raise UsageError(f"--template takes {{name}}, not Go's {{{{.name}}}}: write --template {ours!r}")
    for match in _FIELD.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise UsageError(f"--template: a single {token!r} must be written {token * 2!r}")
        if name.split(".")[0] not in TOP_LEVEL:
            raise UsageError(f"--template: unknown field {{{name}}}; use {', '.join(TOP_LEVEL)} or data.<path>")
    return template


def view(event: model.StreamEvent, known: Known | None, time_text: str) -> dict[str, Any]:
    """The fields a template can name; ``known``: what the memory knows of the incident, so an
    update (which names only its id) has a title, state, team and owner too."""
    title = known.title if known is not None else None
    state = known.state if known is not None else None
    match event:
        case model.IncidentSeen(incident=incident):
            state, title = incident.state or state, incident.title if incident.title is not None else title
        case model.StateChanged(change=change):
            state = change.new_state or state
        case model.AlertReceived(alert=alert):
            title, state = alert.title, alert.status
    return {"kind": event.kind, "subscription": event.subscription, "severity": event.severity,
            "id": event.incident_id, "title": title, "state": state,
            "team": known.team if known is not None else None,
            "owner": (known.assignee or NOBODY) if known is not None and known.described else None,
            "time": time_text, "data": event.data}


def render(template: str, values: dict[str, Any]) -> str:
    def lookup(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        value: Any = values
        for part in match.group(1).split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                value = None
        text = "" if value is None else sanitize(value if isinstance(value, str) else compact(value), max_length=300)
        align, width, cut = match.group(2), match.group(3), match.group(4)
        if cut:
            text = text[: int(cut)]
        if width:
            text = {"<": text.ljust, ">": text.rjust, "^": text.center}[align or "<"](int(width))
        return text

    return _FIELD.sub(lookup, template)


def compact(value: Any) -> str:
    """A value as one short line of JSON, for display (sanitised by the caller)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
