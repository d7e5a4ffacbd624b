"""A jq result as an output line: a string as it is (``jq -r``, as gh --jq prints), anything else
as one compact JSON line; on a terminal a string's control characters are shown harmlessly."""

from __future__ import annotations

from typing import Any

from incident_cli.jsoncodec import ascii_line
from incident_cli.sanitize import sanitize


def line(value: Any, terminal: bool) -> bytes:
    if isinstance(value, str):
        text = sanitize(value, max_length=None) if terminal else value
        return (text + "\n").encode("utf-8", "backslashreplace")
    return ascii_line(value)
