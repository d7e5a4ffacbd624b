"""JSON lines: one compact, versioned envelope (envelope.py) per event, one line each, never buffered.

Never written through Rich (RELIABILITY.md finding 8): every line is 7-bit printable
ASCII (``jsoncodec.ascii_line``), so no server string can carry a control sequence to a
terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from incident_cli import model
from incident_cli.envelope import Stamps, envelope, heartbeat_record, status_record
from incident_cli.jsoncodec import ascii_line
from incident_cli.memory import Memory
from incident_cli.model import StreamEvent
from incident_cli.render.drops import DropReports
from incident_cli.render.status import StatusLines


class LineSink(Protocol):
    def put(self, line: bytes, keep: bool = False) -> None: ...

    def take_dropped(self) -> int: ...


class JsonLinesRenderer:
    """Data events to ``sink``; status to ``status`` (stderr), and to ``sink`` only when asked."""

    def __init__(
        self,
        sink: LineSink,
        status: StatusLines | None = None,
        *,
        snapshots: bool = False,
        status_events: bool = False,
        drops: DropReports | None = None,
        memory: Memory | None = None,
        shape: Callable[[dict[str, Any]], list[bytes]] | None = None,
    ) -> None:
        self._sink = sink
        self._shape = shape  # --jq: each record filtered and reshaped (render/jq_filter.py)
        self._jq_errors: set[str] = set()  # said once each
        # Titles for records about updates: the watch's memory, or one of its own when alone.
        self._own = memory is None
        self._memory = memory if memory is not None else Memory()
        self._status = status
        self._snapshots = snapshots  # write backfilled incidents too (asked for with --backfill)
        self._status_events = status_events
        self.drops = drops or DropReports()
        self._stamps = Stamps()

    def write(self, event: StreamEvent) -> None:
        if self._own:
            self._memory.observe(event)
        self._put(envelope(event, self._memory, self._stamps))
        self._said_dropped()

    def takes_records(self) -> bool:
        """Can the watch hand this output records it built itself (its fast lane)? Only when the
        watch's memory is this output's, so the titles it puts in them are the ones it would."""
        return not self._own

    def write_records(self, records: list[dict[str, Any]]) -> None:
        """Records the watch built (envelope.py's shape, tracking.py's fast lane), in order."""
        for record in records:
            self._put(record)
            self._said_dropped()

    def _said_dropped(self) -> None:
        dropped = self._sink.take_dropped()
        if dropped:
            report = self.drops.dropped(dropped)
            if report is not None:
                self.report(report)

    def snapshot(self, event: model.IncidentSeen) -> None:
        if self._snapshots and event.subscription == model.Label.BACKFILL:
            self.write(event)
        elif self._own:
            self._memory.observe(event)  # a title to give the updates about it

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        if isinstance(event, model.Heartbeat):
            if self._status_events:  # liveness, asked for with the other status records
                self._put(heartbeat_record(event))
            return
        if self._status is not None:
            (self._status.for_source(source) if source else self._status).report(event)
        if self._status_events:
            record = status_record(event, datetime.now(UTC))
            if source is not None:
                record["source"] = source
            self._put(record, keep=True)

    def _put(self, record: dict[str, Any], keep: bool = False) -> None:
        """``keep``: a status record, never dropped behind a slow reader (what it says matters most then)."""
        if self._shape is None:
            self._sink.put(ascii_line(record), keep)
            return
        try:
            lines = self._shape(record)
        except ValueError as error:  # jq's own runtime error, for this record: said, and the stream goes on
            message = str(error).splitlines()[0] if str(error) else "failed"
            if message not in self._jq_errors and len(self._jq_errors) < 10:
                self._jq_errors.add(message)
                self.report(model.ClientWarning(message=f"--jq: {message} (records it fails on are left out)"))
            return
        for line in lines:
            self._sink.put(line, keep)

