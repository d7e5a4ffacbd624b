"""The one line above the table and the console: the link, the counts, the gap, the server.

Most important first, cut at the edge rather than wrapped. A replay says so instead of
claiming to be live.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from incident_cli.redact import display_url
from incident_cli.render.board import Board
from incident_cli.render.terminal import ago, severity_text
from incident_cli.sanitize import sanitize
from incident_cli.streams import SEVERITIES


def status_line(board: Board, now: datetime, counts: dict[str, int], stale: bool, *, lead: Text | None = None) -> Text:
    """One line, most important first, cut at the edge rather than wrapped. ``lead``: what the
    person at the console set (paused, a filter, an order), first so a narrow pane keeps it."""
    link = board.connection
    line = Text(no_wrap=True, overflow="ellipsis")
    if lead is not None and lead.plain:
        line.append_text(lead)
        line.append("  ")
    filters = board.filters()
    if filters:  # never a filtered view that looks like the whole stream
        line.append(f"only {sanitize(filters, max_length=80)}", style="bold cyan")
        line.append("  ")
    if board.replay is not None:  # never "live" with the production URL: a recording, at its own time
        name, speed = board.replay
        line.append(f"\u25b6 replay of {sanitize(name, max_length=60)}, recorded {now.astimezone():%H:%M:%S} at x{speed:g}",
                    style="bold magenta")
    elif board.sources:  # several servers: each one's state, compactly
        for name, each in board.sources.items():
            mark, style = ("\u25cf", "bold green") if each.state == "live" else ("\u25cc", "bold yellow")
            line.append(f"{mark} {sanitize(name, max_length=30)}  ", style=style)
    elif link.state == "live":
        line.append("\u25cf live", style="bold green")
    elif link.state == "reconnecting" and link.retry_at is not None and now < link.retry_at:
        wait = int((link.retry_at - now).total_seconds() + 0.999)  # "in 1s" until it is due, never "in 0s"
        line.append(f"\u25cc reconnecting in {wait}s (attempt {link.attempt})", style="bold yellow")
    elif link.state == "reconnecting":
        # The wait is over and the attempt is under way: a slow handshake shows how long it takes.
        trying = int((now - link.retry_at).total_seconds()) if link.retry_at is not None else 0
        line.append(f"\u25cc connecting (attempt {link.attempt}, {trying}s)", style="bold yellow")
    elif link.state == "connecting":
        line.append("\u25cc connecting", style="yellow")
    else:
        line.append(f"\u25a0 {link.state}", style="bold red")
    if stale:
        line.append("  STALE", style="bold white on red")
    if board.disconnected:
        line.append("  rows as last seen", style="yellow")  # until the repair after the reconnect
    line.append(" ")
    if counts:
        line.append(" open", style="dim")  # the counts are of open incidents: closed rows are not in them
    for severity in SEVERITIES:
        if counts.get(severity):
            line.append(" ")
            line.append_text(severity_text(severity))
            line.append(f" {counts[severity]}")
    line.append(f"  {board.events:,} events", style="dim")
    if board.last_message is not None:
        line.append(f"  last {ago(board.last_message, now)} ago", style="dim")
    if link.last_gap is not None:
        repaired = f", {link.repaired} repaired" if link.repaired else ""
        line.append(f"  gap {link.last_gap.total_seconds():.1f}s{repaired}", style="yellow")
    if link.reason and link.state != "live" and board.replay is None:
        line.append(f"  {sanitize(link.reason, max_length=100)}", style="dim")
    if link.server and board.replay is None:
        line.append(f"  {sanitize(display_url(link.server), max_length=80)}")
    if board.subscriptions:
        line.append("  " + ", ".join(board.subscriptions), style="dim")
    return line
