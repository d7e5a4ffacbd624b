"""Durations as users write them: ``30s``, ``5m``, ``1h30m``, ``250ms``, or plain seconds."""

from __future__ import annotations

import re

from incident_cli.errors import UsageError
from incident_cli.sanitize import sanitize

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_SECONDS = 366 * 86400.0  # longer is a typo; asyncio's timers would overflow long before forever


def parse_duration(text: str, *, option: str = "duration") -> float:
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(value) or not value:
            raise UsageError(f"{option}: {sanitize(text, max_length=40)!r} is not a duration (try 30s, 5m, 1h30m)") from None
    if seconds <= 0 or seconds != seconds:
        raise UsageError(f"{option}: the duration must be positive, got {sanitize(text, max_length=40)!r}")
    if seconds > MAX_SECONDS:  # and infinity
        raise UsageError(f"{option}: {sanitize(text, max_length=40)!r} is longer than a year")
    return seconds
