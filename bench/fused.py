"""A third floor: the work of `watch --subscribe critical -o jsonl`, fused into one function a result.

Usage: python -m bench.fused URL

Not a client anyone should run: it measures what a path with no layers could reach (issue 16),
on the lean sans-I/O loop (``bench/lean.py``). For each result it does what the built-in path
must do in the common case: the check for integers beyond 64 bits, the message's shape, the
incident memory (touched once, bounded at 10,000), the severity filter (P0 and P1), the
envelope with the incident's title, the 7-bit ASCII check, and one write a read of the socket.
What it leaves out is everything uncommon (errors, other message types, lookups, held events,
status, a reader that stops): those would go the layered way.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import orjson

from bench.lean import Lean, main

ROOT = "criticalIncidents"
CRITICAL = ("P0", "P1")
KEPT = 10_000
LONG_DIGITS, TO_ZERO = b"0" * 19, bytes.maketrans(b"123456789", b"000000000")


class FusedPath:
    """The incident memory, and one result to its line."""

    def __init__(self) -> None:
        self.known: OrderedDict[str, list[Any]] = OrderedDict()  # id -> [severity, title, state, updated]

    def line(self, raw: bytes, message: dict[str, Any], stamp: str) -> bytes | None:
        if LONG_DIGITS in raw.translate(TO_ZERO):
            return None  # (the layered path parses these again with json)
        payload = message.get("payload")
        if type(message.get("id")) is not str or type(payload) is not dict:
            return None
        result = payload.get("data")
        if payload.get("errors") or type(result) is not dict or len(result) != 1:
            return None
        ((_root, value),) = result.items()
        if type(value) is not dict:
            return None
        incident_id, severity = value.get("id"), value.get("severity")
        entry = self.known.get(incident_id)
        if entry is None:
            entry = self.known[incident_id] = [None, None, None, None]
            if len(self.known) > KEPT:
                self.known.popitem(last=False)
        else:
            self.known.move_to_end(incident_id)
        entry[0], entry[1], entry[2] = severity, value.get("title"), value.get("state") or entry[2]
        updated = value.get("updatedAt")
        if updated and (entry[3] is None or updated > entry[3]):
            entry[3] = updated
        if severity not in CRITICAL:
            return None
        line = orjson.dumps({"v": 1, "kind": "incident", "subscription": ROOT, "received_at": stamp,
                             "incident_id": incident_id, "severity": severity, "title": entry[1],
                             "data": value}) + b"\n"
        return line if line.isascii() and b"\x7f" not in line else None


class Fused(Lean):
    query = "subscription { criticalIncidents { id title severity state updatedAt } }"

    def __init__(self, url: str, done: asyncio.Future[None]) -> None:
        super().__init__(url, done)
        self.path = FusedPath()
        self.stamped = (0.0, "")

    def result(self, raw: bytes, message: dict[str, Any], out: list[bytes]) -> None:
        now = time.monotonic()
        if now - self.stamped[0] >= 0.001:  # received_at formatted once a millisecond, as the driver does
            self.stamped = (now, datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"))
        line = self.path.line(raw, message, self.stamped[1])
        if line is not None:
            out.append(line[:-1])  # the loop joins a read's lines with newlines


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Fused))
