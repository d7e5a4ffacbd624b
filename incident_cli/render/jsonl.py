"""JSON lines: one compact, versioned envelope per event, one line each, never buffered.

Never written through Rich (RELIABILITY.md finding 8): every line is 7-bit printable
ASCII (``jsoncodec.ascii_line``), so no server string can carry a control sequence to a
terminal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from incident_cli import model
from incident_cli.jsoncodec import ascii_line
from incident_cli.memory import Memory
from incident_cli.model import StreamEvent
from incident_cli.render.drops import DropReports
from incident_cli.render.status import StatusLines

ENVELOPE_VERSION = 1

STATUS_NAMES = {
    model.Connected: "connected",
    model.Reconnecting: "reconnecting",
    model.GapRepaired: "gap_repaired",
    model.RunCoverage: "coverage",
    model.OutputDropped: "output_dropped",
    model.ServerWarning: "warning",
    model.ClientWarning: "warning",  # the same name: its data has a message instead of messages
    model.OperationEnded: "operation_ended",
    model.Resubscribing: "resubscribing",
    model.CredentialsRefreshed: "credentials_refreshed",
    model.Notice: "notice",
}


class LineSink(Protocol):
    def put(self, line: bytes, keep: bool = False) -> None: ...

    def take_dropped(self) -> int: ...


_last_stamp: tuple[datetime | None, str] = (None, "")


def _stamp(moment: datetime) -> str:
    """RFC 3339 with ``Z``; a burst of events shares one received_at, formatted once."""
    global _last_stamp
    if moment is not _last_stamp[0]:
        _last_stamp = (moment, moment.isoformat(timespec="microseconds").replace("+00:00", "Z"))
    return _last_stamp[1]


# Records about one incident carry its title, state, owner and team as the memory knows them.
TITLED = frozenset({"incident", "update", "state_change"})


def envelope(event: StreamEvent, memory: Memory | None = None) -> dict[str, Any]:
    """The documented record: ``v, kind, subscription, received_at, incident_id, severity``,
    ``title`` (with a ``memory``, for records about an incident: an update names only its id),
    ``data``, and ``source`` when several servers are watched at once."""
    record = {
        "v": ENVELOPE_VERSION,
        "kind": event.kind,
        "subscription": event.subscription,
        "received_at": _stamp(event.received_at),
        "incident_id": event.incident_id,
        "severity": event.severity,
    }
    if memory is not None and event.kind in TITLED:
        # What the memory knows of the incident (an update names only its id): the server's
        # ``data`` stays as it was sent.
        known = memory.get(event.incident_id)
        if known is None:
            record["title"] = record["state"] = record["owner"] = record["team"] = None
        else:
            record["title"], record["state"], record["owner"], record["team"] = (
                known.title, known.state, known.assignee, known.team)
    record["data"] = event.data
    if event.source is not None:
        record["source"] = event.source
    return record


def status_record(event: model.StatusEvent, now: datetime) -> dict[str, Any]:
    """``{"v":1,"kind":"status","event":"reconnecting","received_at":…,"data":{…}}``."""
    return {
        "v": ENVELOPE_VERSION,
        "kind": "status",
        "event": STATUS_NAMES[type(event)],
        "received_at": _stamp(now),
        "data": dataclasses.asdict(event),
    }


def heartbeat_record(event: model.Heartbeat) -> dict[str, Any]:
    """``{"v":1,"kind":"status","event":"heartbeat","received_at":…,"subscription":…,"data":{…}}``."""
    record = {"v": ENVELOPE_VERSION, "kind": "status", "event": "heartbeat", "received_at": _stamp(event.received_at),
              "subscription": event.subscription, "data": event.data}
    if event.source is not None:
        record["source"] = event.source
    return record


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

    def write(self, event: StreamEvent) -> None:
        if self._own:
            self._memory.observe(event)
        self._put(envelope(event, self._memory))
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

