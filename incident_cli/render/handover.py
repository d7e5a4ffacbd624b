"""The handover as Markdown: to read on a terminal (Rich draws it) or to paste into a channel.

Server strings are made harmless (no control sequence) and cannot break the Markdown they sit
in: a title's ``|``, ``*``, backticks and the like are escaped.
"""

from __future__ import annotations

import re

from incident_cli.handover import Handover, Line
from incident_cli.sanitize import sanitize
from incident_cli.wording import NOBODY, plural

_MARKDOWN = re.compile(r"([\\`*_\[\]#|<>~])")  # what could start emphasis, code, a link, a table cell or HTML


def markdown(handover: Handover) -> str:
    parts = [f"# Handover: {handover.since} to {handover.until}", ""]
    parts.append(f"- opened: **{handover.opened_count:,}**, resolved: **{handover.resolved_count:,}**, "
                 f"still open: **{sum(handover.open_by_severity.values())}**")
    if handover.open_by_severity:
        parts.append("- open by severity: " + ", ".join(f"{_text(k)} {v}" for k, v in handover.open_by_severity.items()))
    if handover.open_by_team:
        parts.append("- open by team: " + ", ".join(f"{_text(k)} {v}" for k, v in handover.open_by_team.items()))
    if handover.owners:
        parts.append("- who holds them: " + ", ".join(f"{_text(k)} {v}" for k, v in handover.owners.items()))
    if handover.median_to_acknowledge is not None:
        parts.append(f"- median time to acknowledge: {_duration(handover.median_to_acknowledge)}")
    if handover.median_to_resolve is not None:
        parts.append(f"- median time to resolve: {_duration(handover.median_to_resolve)}")
    for title, lines, count in (("Longest open", handover.longest_open, len(handover.longest_open)),
                                ("Opened", handover.opened, handover.opened_count),
                                ("Resolved", handover.resolved, handover.resolved_count)):
        parts += ["", f"## {title} ({plural(count, 'incident')})", ""]
        parts += [_row(line) for line in lines] or ["none"]
        if count > len(lines):
            parts.append(f"- … and {count - len(lines):,} more (--limit)")
    return "\n".join(parts) + "\n"


def _row(line: Line) -> str:
    extra = [f"{_text(line.state or '?')}", f"team {_text(line.team or '-')}", f"owner {_text(line.owner or NOBODY)}"]
    if line.open_for is not None:
        extra.append(f"open {_duration(line.open_for)}")
    return f"- **{_text(line.severity or '?')}** `{_text(line.id[:8])}` {_text(line.title or '(no title)')} ({', '.join(extra)})"


def _text(value: str) -> str:
    return _MARKDOWN.sub(r"\\\1", sanitize(value, max_length=120))


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min" if seconds >= 60 else f"{seconds:.0f} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"
