"""``--jq EXPR``: each JSON-lines record filtered and reshaped with jq's own language, as gh does.

jq itself does the work (the ``jq`` binding of libjq, compiled once); this module only turns
its results into lines: a string as it is (``jq -r``), anything else as one compact JSON line.
On a terminal a string's control characters are shown harmlessly, as every server string is.
Imported only when ``--jq`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jq

from incident_cli.errors import UsageError
from incident_cli.jsoncodec import ascii_line
from incident_cli.sanitize import sanitize

Shaper = Callable[[dict[str, Any]], list[bytes]]


def compile_jq(expression: str, *, terminal: bool) -> Shaper:
    """The filter as a function from one record to its output lines; a bad program is a usage error."""
    try:
        program = jq.compile(expression)
    except ValueError as error:
        first = str(error).splitlines()[0] if str(error) else "not a jq program"
        raise UsageError(f"--jq: {sanitize(first.removeprefix('jq: error: '), max_length=300)}") from None

    def shape(record: dict[str, Any]) -> list[bytes]:
        return [_line(value, terminal) for value in program.input_value(record).all()]

    return shape


def _line(value: Any, terminal: bool) -> bytes:
    if isinstance(value, str):  # raw, as gh --jq and jq -r print strings
        text = sanitize(value, max_length=None) if terminal else value
        return (text + "\n").encode("utf-8", "backslashreplace")
    return ascii_line(value)
