"""Renderers: model events in, a view out; they never see the wire format.

Here: the ``Output`` protocol every renderer implements, the spec saying which one and how,
and ``rendered``, which runs a watch into it (lines through a writer thread, or the live table).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeVar

from incident_cli.incident_filter import IncidentFilter
from incident_cli.values import frozen

if TYPE_CHECKING:
    from incident_cli import model
    from incident_cli.memory import Memory

__all__ = ["Output", "OutputSpec", "RecordOutput", "Streams", "record_output", "rendered"]


class Output(Protocol):
    def write(self, event: model.StreamEvent) -> None:
        """A data event from the stream (or one repaired after a gap)."""

    def snapshot(self, event: model.IncidentSeen) -> None:
        """An incident as a query described it (backfill or lookup): context, not stream data."""

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        """Connection status, gaps, warnings, and heartbeats (liveness); ``source``: which of several servers."""


class RecordOutput(Output, Protocol):
    """An output that also takes records built by the watch itself (its fast lane: envelope.py's
    shape), when ``takes_records()`` says so; JSON lines do."""

    def takes_records(self) -> bool: ...

    def write_records(self, records: list[dict[str, Any]]) -> None: ...


def record_output(output: Output) -> RecordOutput | None:
    """``output`` as a RecordOutput when it takes records now, else None (it must see each event)."""
    takes = getattr(output, "takes_records", None)
    return output if callable(takes) and takes() else None  # type: ignore[return-value]


@frozen
class OutputSpec:
    """Which renderer, and how it is set."""

    mode: str  # "table", "text" or "jsonl"
    color: str = "auto"  # auto, always, never
    fps: float = 4.0  # table frames per second at most
    max_rows: int | None = None
    keep_resolved: float = 300.0  # seconds a resolved incident stays in the table
    snapshots: bool = False  # lines: write backfilled incidents too
    status_events: bool = False  # JSON lines: status records too
    overflow: str = "drop"  # when stdout's reader falls behind: drop, or exit
    template: str | None = None  # text lines laid out by the user
    time_format: str = "local"
    streams: tuple[str, ...] = ()  # named in the table's status line
    columns: tuple[str, ...] = ()  # the table's columns, in order (--columns); empty: the default
    label_columns: tuple[str, ...] = ()  # label keys shown as columns (-L)
    replay: tuple[str, float] | None = None  # (recording, speed): the views say it is a replay, not live
    interactive: bool = False  # the table as a console with keys (a person at a terminal)
    listing: bool = False  # the table drawn once, every row, paged if need be (list, --once)
    jq: str | None = None  # --jq: each JSON-lines record through this jq program
    only: IncidentFilter = field(default_factory=IncidentFilter)  # --team, --state...: rows shown, and said
    severities: tuple[str, ...] = ()  # --severity: said in the status line with the other filters


@frozen
class Streams:
    """Where the output goes, and the environment that says how (NO_COLOR, TERM)."""

    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]


R = TypeVar("R")


async def rendered(
    spec: OutputSpec,
    streams: Streams,
    run: Callable[[Output], Coroutine[Any, Any, R]],
    *,
    stop: Callable[[int], None],
    server: str = "",
    clock: Callable[[], datetime] | None = None,
    memory: Memory | None = None,
    playback: Any = None,
    actor: Any = None,
) -> R:
    """``run(output)`` with the output the spec asks for, set up before and drained after.

    ``server``: shown in the table's status line; ``clock``: the table's (a replay's is the
    recording's); ``memory``: what is known of each incident, fed by the watch (a table's keeps
    what the table shows: ``Memory(views=True)``); without one, each output keeps its own;
    ``playback``: a replay the console's keys pause and seek; ``actor``: carries out the
    console's actions (console_actions.py), where the server lets this user act.
    """
    if spec.mode == "table" and spec.listing:
        from incident_cli.render.listing import run_listing

        return await run_listing(spec, streams, run, clock=clock, memory=memory)
    if spec.mode == "table" and spec.interactive:
        from incident_cli.render.console import run_console

        return await run_console(spec, streams, run, server=server, stop=stop, clock=clock, playback=playback, actor=actor,
                                 memory=memory)
    if spec.mode == "table":
        from incident_cli.render.table import run_table

        return await run_table(spec, streams, run, server=server, clock=clock, memory=memory)
    from incident_cli.render.lines import run_lines

    return await run_lines(spec, streams, run, stop=stop, memory=memory)
