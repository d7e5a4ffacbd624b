"""JSON lines or text lines on stdout, written by a thread so a slow reader never stalls the socket.

Sets the writer and the renderer up, runs the watch into them, and at the end reports what
was dropped and lets a slow reader take what is queued, for a bounded time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from incident_cli.errors import OutputError, OutputOverflow
from incident_cli.memory import Memory
from incident_cli.render import Output, OutputSpec, Streams
from incident_cli.render.drops import DropReports
from incident_cli.render.status import StatusLines
from incident_cli.render.writer import LineWriter, StreamSink, line_sink
from incident_cli.wording import plural

# At the end, what is queued is written for as long as the reader keeps taking it; a reader that
# takes nothing for this long is taken to have stopped, and what is left is lost (status 75).
OUTPUT_STALL = 10.0

R = TypeVar("R")


async def run_lines(
    spec: OutputSpec,
    streams: Streams,
    run: Callable[[Output], Coroutine[Any, Any, R]],
    *,
    stop: Callable[[int], None],
    memory: Memory | None = None,
) -> R:
    status = StatusLines(streams.stderr)
    writer = line_sink(streams.stdout, policy=spec.overflow, on_broken=lambda: stop(0))
    drops = DropReports()
    output: Output
    shape = None
    if spec.mode == "text":
        from incident_cli.render.terminal import make_console
        from incident_cli.render.text import TextLines
        from incident_cli.render.writer import TextStream

        console = make_console(TextStream(writer, streams.stdout), color=spec.color, environ=streams.environ)
        output = TextLines(console, status, snapshots=spec.snapshots, dropped=writer.take_dropped,
                           template=spec.template, time_format=spec.time_format, drops=drops, memory=memory)
    else:
        from incident_cli.render.jsonl import JsonLinesRenderer

        if spec.jq is not None:
            from incident_cli.render.jq_filter import compile_jq

            shape = compile_jq(spec.jq, terminal=_isatty(streams.stdout))
        output = JsonLinesRenderer(writer, status, snapshots=spec.snapshots, status_events=spec.status_events, drops=drops,
                                   memory=memory, shape=shape)
    try:
        result = await run(output)
    except BaseException:
        await _finish(writer, drops, output, status)  # the exception on its way out decides the status
        raise
    finally:
        if shape is not None:
            shape.close()  # the --jq program's process
    lost = await _finish(writer, drops, output, status)
    if lost:
        # The output is incomplete: a run that lost lines never ends as if it had not (75).
        raise OutputOverflow(f"{plural(lost, 'line')} of output lost: the reader of stdout fell behind")
    return result


async def _finish(writer: LineWriter | StreamSink, drops: DropReports, output: Output, status: StatusLines) -> int:
    """The end of a run: what was dropped said in all, what is queued written while the reader
    takes it; the lines lost (dropped, or left when the reader stopped taking any)."""
    writer.hand_over()  # the last turn's lines, so what they dropped is counted below
    late = writer.take_dropped()  # since the last line written
    if late:
        drops.dropped(late)
    total = drops.final()
    if total is not None:
        output.report(total)
    left = await asyncio.to_thread(writer.close, OUTPUT_STALL)
    if left:
        status.line(f"warning: {plural(left, 'line')} not written: the reader of stdout stopped reading")
    if writer.broken:
        raise BrokenPipeError
    error = getattr(writer, "error", None)
    if error is not None:  # the last lines' write failed (a full disk): no later put would say so
        raise OutputError(f"cannot write the output: {error.strerror or error}")
    return left + (total.total if total is not None else 0)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False
