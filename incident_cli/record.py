"""Record and replay: the JSON-lines stream kept in a file, and fed back with its timing.

A recording is JSON lines in the documented envelope (data, backfilled incidents, status
records), so it is also just a file for jq. Replay turns each line back into the model
event it came from and hands it to the same renderers, waiting out the original gaps
(divided by ``speed``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any

from incident_cli import model
from incident_cli.errors import UsageError
from incident_cli.render import Output
from incident_cli.render.jsonl import STATUS_NAMES, envelope, status_record

_STATUS_CLASSES = {name: kind for kind, name in STATUS_NAMES.items() if kind is not model.ClientWarning}
_encoder = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))
SNAPSHOTS = (model.Label.BACKFILL, model.Label.BASELINE, model.Label.LOOKUP)  # context from queries
MAX_GAP = 5.0  # seconds: replay does not make anyone wait out an hour of silence


class Recording:
    """An Output that also appends every event to ``stream``, one flushed line each."""

    def __init__(self, inner: Output, stream: IO[str], clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._inner = inner
        self._stream = stream
        self._clock = clock

    def write(self, event: model.StreamEvent) -> None:
        self._line(envelope(event))
        self._inner.write(event)

    def snapshot(self, event: model.IncidentSeen) -> None:
        self._line(envelope(event))  # lookups and the baseline too: the context a replayed table needs
        self._inner.snapshot(event)

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        if not isinstance(event, model.Heartbeat):
            record = status_record(event, self._clock())
            self._line(record if source is None else {**record, "source": source})
        self._inner.report(event, source)

    def _line(self, record: dict[str, Any]) -> None:
        self._stream.write(_encoder.encode(record) + "\n")
        self._stream.flush()


def decode(line: str, number: int) -> tuple[datetime, str, Any]:
    """One recorded line -> (when, how to feed it, the model event)."""
    try:
        record = json.loads(line)
        when = model.parse_time(record["received_at"])
        if when is None:
            raise ValueError("received_at")
        if record.get("kind") == "status":
            kind = _STATUS_CLASSES[record["event"]]
            if kind is model.ServerWarning and "message" in record["data"]:
                kind = model.ClientWarning  # "warning" names both; the data tells them apart
            fields = {f.name for f in dataclasses.fields(kind)}
            given = record["data"].items()
            data = {key: (tuple(value) if isinstance(value, list) else value) for key, value in given if key in fields}
            return when, "report", kind(**data)
        label, data = record["subscription"], record["data"]
        if label in SNAPSHOTS or label == model.Label.REPAIR:
            # A baseline was context the live view kept quiet about: replay it as a lookup.
            shown = model.Label.LOOKUP if label == model.Label.BASELINE else label
            event: model.StreamEvent = model.IncidentSeen(subscription=shown, received_at=when, data=data,
                                                          severity=record.get("severity") or data.get("severity"))
        else:
            event = model.stream_event(label, data if label == model.Label.CUSTOM else {label: data}, when)
            event = dataclasses.replace(event, severity=record.get("severity") or event.severity)
        return when, ("snapshot" if label in SNAPSHOTS else "write"), event
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"line {number} of the recording is not an incidents record ({exc})") from None


async def replay(
    lines: Iterable[str],
    output: Output,
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Any] = asyncio.sleep,
    on_time: Callable[[datetime], None] = lambda _moment: None,
) -> int:
    """Feed a recording to ``output`` with its original pacing; the number of records."""
    previous: datetime | None = None
    count = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        when, how, event = decode(line, number)
        if previous is not None and speed > 0:
            gap = (when - previous).total_seconds()
            if gap > 0:
                await sleep(min(gap, MAX_GAP) / speed)
        previous = when
        on_time(when)
        getattr(output, how)(event)
        count += 1
    return count
