"""JSON on the hot path: orjson where it gives what the standard library would, json where not.

Decoding and encoding are two thirds of a JSON-lines client's time (issue 7), and orjson
does both several times faster. It differs from the standard library at the edges, and
there the standard library decides:

- input orjson refuses (a lone surrogate escape, a number beyond a double) is parsed again
  by ``json``, which still refuses NaN and Infinity; so is input with an integer orjson
  would silently turn into a float (beyond 64 bits: it takes 19 digits in a row), so the
  server's value comes out as it was sent;
- output must stay 7-bit printable ASCII, so no server string reaches a terminal as a
  control sequence (orjson writes UTF-8 and a raw DEL): such lines, and values orjson
  cannot encode (integers beyond 64 bits, lone surrogates), are encoded by ``json`` with
  ``ensure_ascii``, a lone surrogate replaced by U+FFFD first so that every consumer takes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


class ConstantRefused(ValueError):
    """NaN or Infinity: not JSON (RFC 8259), and jq would choke on what we wrote."""


def _refuse_constant(name: str) -> Any:
    raise ConstantRefused(f"JSON constant {name} is not allowed")


_ascii_encoder = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19  # the shortest run of digits that can be an integer beyond 64 bits


def loads(text: str | bytes) -> Any:
    """Parse JSON text; ValueError (ConstantRefused for NaN/Infinity) when it is not JSON."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _LONG_DIGITS not in raw.translate(_DIGITS_TO_ZERO):  # bytes.translate: ~1 µs a frame, in C
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text, parse_constant=_refuse_constant)


def ascii_line(value: Any) -> bytes:
    """Compact JSON and a newline, in printable 7-bit ASCII (control characters escaped)."""
    try:
        # The newline joined on, not orjson's option: its bytes keep the 4-8 KiB buffer they were
        # written in, and a turn's lines wait for the writer (the default streams peaked 2-3 MiB higher).
        line = orjson.dumps(value) + b"\n"
    except TypeError:
        line = b""
    if line and line.isascii() and b"\x7f" not in line:
        return line
    return (_ascii_encoder.encode(_whole(value)) + "\n").encode("ascii")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, a surrogate is always a lone one


def whole_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (what a file, a pipe or an
    environment variable can hold)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def _whole(value: Any) -> Any:
    """``value`` with every lone surrogate replaced by U+FFFD: ``\\ud800`` is JSON's syntax but
    not Unicode, and jq (1.6) and other consumers stop at it. Only on the slow path, and a
    string without one is returned as it is."""
    if isinstance(value, str):
        return whole_text(value)
    if isinstance(value, dict):
        return {_whole(key): _whole(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_whole(item) for item in value]
    return value
