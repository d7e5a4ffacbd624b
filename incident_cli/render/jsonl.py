"""JSON lines: one compact, versioned envelope per event, flushed per line.

Never written through Rich (RELIABILITY.md finding 8): ``json.dumps`` with
``ensure_ascii`` makes every line 7-bit, so no server string can carry a control
sequence to a terminal, and ``allow_nan=False`` keeps it parseable by jq.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from incident_cli import model
from incident_cli.model import StreamEvent
from incident_cli.render.status import StatusLines

ENVELOPE_VERSION = 1

_encoder = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def envelope(event: StreamEvent) -> dict[str, Any]:
    """The documented record: ``v, kind, subscription, received_at, incident_id, severity, data``."""
    return {
        "v": ENVELOPE_VERSION,
        "kind": event.kind,
        "subscription": event.subscription,
        "received_at": event.received_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "incident_id": event.incident_id,
        "severity": event.severity,
        "data": event.data,
    }


class JsonLinesRenderer:
    """Writes data events to a binary stream; status goes to ``status`` (stderr), never here."""

    def __init__(self, stream: BinaryIO, status: StatusLines | None = None, *, snapshots: bool = False) -> None:
        self._stream = stream
        self._status = status
        self._snapshots = snapshots  # write backfilled incidents too (asked for with --backfill)

    def snapshot(self, event: model.IncidentSeen) -> None:
        if self._snapshots and event.subscription == "backfill":
            self.write(event)

    def report(self, event: model.StatusEvent | model.Heartbeat) -> None:
        if self._status is not None and not isinstance(event, model.Heartbeat):
            self._status.report(event)

    def write(self, event: StreamEvent) -> None:
        line = _encoder.encode(envelope(event)) + "\n"
        self._stream.write(line.encode("ascii"))
        # Flush per line: block buffering would hold events back (DESIGN.md performance).
        self._stream.flush()
