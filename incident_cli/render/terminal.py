"""What every human view shares: a safe Rich console, severity styles, short times.

Server strings reach Rich only as ``Text`` built from ``sanitize``d strings, and the
console interprets neither markup nor emoji codes (RELIABILITY.md finding 7).
"""

from __future__ import annotations

import io
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import IO

from rich.console import Console
from rich.text import Text

from incident_cli.sanitize import sanitize

SEVERITY_STYLES = {
    "P0": "bold white on red",
    "P1": "bold red",
    "P2": "yellow",
    "P3": "cyan",
    "P4": "dim",
}
COLOR_CHOICES = ("auto", "always", "never")


class SafeConsole(Console):
    """A Console that lets a closed pipe surface as BrokenPipeError, for cli.py to handle."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def make_console(stream: IO[str] | io.TextIOBase, *, color: str = "auto", environ: Mapping[str, str]) -> Console:
    """A console for ``stream`` honouring ``--color``, NO_COLOR, FORCE_COLOR and TERM=dumb
    (of ``environ``: the command's, never the process's read from below the CLI edge)."""
    env = environ
    force_terminal: bool | None = None
    no_color: bool | None = None
    color_system: typing.Literal["auto"] | None = "auto"
    if color == "always":  # a flag beats the environment
        force_terminal, no_color = True, False
    elif color == "never" or "NO_COLOR" in env:
        no_color, color_system = True, None
    return SafeConsole(
        file=typing.cast(IO[str], stream),  # a TextStream is a text file too
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=force_terminal,
        no_color=no_color,
        color_system=color_system,
        _environ=dict(env),
    )


def severity_text(severity: str | None) -> Text:
    label = sanitize(severity or "?", max_length=4)
    return Text(label, style=SEVERITY_STYLES.get(label, ""))


def safe_text(value: object, *, max_length: int = 200, style: str = "") -> Text:
    return Text(sanitize(value, max_length=max_length) if value is not None else "", style=style)


def middle(text: str, width: int) -> str:
    """``text`` sanitised and cut from the middle to ``width``: ``127.…18081`` keeps what tells apart."""
    clean = sanitize(text, max_length=None)
    if len(clean) <= width:
        return clean
    head = (width - 1) // 2
    return clean[:head] + "\u2026" + clean[len(clean) - (width - 1 - head):]


def short_id(incident_id: str | None) -> str:
    """The first 8 characters: enough to tell incidents apart and to grep for."""
    return sanitize((incident_id or "?")[:8], max_length=None)


def ago(then: datetime | None, now: datetime) -> str:
    """``12s``, ``5m``, ``3h``, ``2d``: how long ago, for a narrow column."""
    if then is None:
        return "?"
    seconds = max(0, int((now - then) / timedelta(seconds=1)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
