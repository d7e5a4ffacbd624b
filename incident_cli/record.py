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
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from incident_cli import model
from incident_cli.envelope import STATUS_NAMES, envelope, status_record
from incident_cli.recorded import Skipped
from incident_cli.render import Output

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


class NotARecord(ValueError):
    """A line of a recording that is not an incidents record: a reader skips it and counts it."""


def decode(line: str, number: int) -> tuple[datetime, str, Any]:
    """One recorded line -> (when, how to feed it, the model event); NotARecord for a bad one."""
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
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise NotARecord(f"line {number} of the recording is not an incidents record ({exc})") from None


def records(lines: Iterable[tuple[int, str]], skipped: Skipped) -> Iterator[tuple[datetime, str, Any]]:
    """The decoded records of numbered lines; a line that is no record is skipped and counted."""
    for number, line in lines:
        try:
            yield decode(line, number)
        except NotARecord:
            skipped.add(number)


async def replay(
    lines: Iterable[tuple[int, str]],
    output: Output,
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Any] = asyncio.sleep,
    on_time: Callable[[datetime], None] = lambda _moment: None,
    skipped: Skipped | None = None,
) -> int:
    """Feed a recording's numbered lines to ``output`` with their original pacing; the number of
    records (lines that are none are counted in ``skipped``)."""
    previous: datetime | None = None
    count = 0
    for when, how, event in records(lines, skipped if skipped is not None else Skipped()):
        if previous is not None and speed > 0:
            gap = (when - previous).total_seconds()
            if gap > 0:
                await sleep(min(gap, MAX_GAP) / speed)
        previous = when
        on_time(when)
        getattr(output, how)(event)
        count += 1
    return count


class Player:
    """A recording played under the console's keys: pause and resume, seek ten seconds either way.

    The whole recording is read first (a seek back replays it from the start into a cleared
    view, instantly, up to the new time). At the end it waits: the view stays to be read,
    and a seek back plays again; the person quits with q.
    """

    def __init__(self, lines: Iterable[tuple[int, str]], *, speed: float, on_time: Callable[[datetime], None],
                 skipped: Skipped | None = None) -> None:
        self.records = list(records(lines, skipped if skipped is not None else Skipped()))
        self.speed = speed
        self.paused = False
        self.ended = False
        self._on_time = on_time
        self._at: datetime | None = None  # the recording's time now
        self._seek = 0.0  # seconds asked for by keys, not yet done
        self._wake = asyncio.Event()

    def toggle(self) -> None:
        self.paused = not self.paused
        self._wake.set()

    def seek(self, seconds: float) -> None:
        self._seek += seconds
        self._wake.set()

    async def play(self, output: Output, reset: Callable[[], None]) -> int:
        """Feed ``output``; ``reset`` clears it before a seek back. Returns only when cancelled."""
        index = 0
        while True:
            if self._seek:
                index = self._jump(index, output, reset)
            elif index >= len(self.records) or self.paused:
                self.ended = index >= len(self.records)
                await self._sleep(None)
            else:
                when = self.records[index][0]
                gap = (when - self._at).total_seconds() if self._at is not None and self.speed > 0 else 0.0
                if gap > 0 and await self._sleep(min(gap, MAX_GAP) / self.speed):
                    continue  # a key came first
                self._feed(index, output)
                index += 1

    def _jump(self, index: int, output: Output, reset: Callable[[], None]) -> int:
        start = self._at or (self.records[0][0] if self.records else None)
        seconds, self._seek = self._seek, 0.0
        if start is None:
            return index
        target = start + timedelta(seconds=seconds)
        if seconds < 0:
            reset()
            index = 0
        while index < len(self.records) and self.records[index][0] <= target:
            self._feed(index, output)
            index += 1
        self.ended = index >= len(self.records)
        self._at = max(target, self.records[0][0]) if not self.ended else self.records[-1][0]
        self._on_time(self._at)
        return index

    def _feed(self, index: int, output: Output) -> None:
        when, how, event = self.records[index]
        self._at = when
        self._on_time(when)
        getattr(output, how)(event)

    async def _sleep(self, timeout: float | None) -> bool:
        """Wait ``timeout`` seconds (None: until a key); True when a key came first."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        return True
