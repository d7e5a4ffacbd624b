"""`incidents replay`: a recording fed back through the same renderers, with its timing."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from incident_cli.cli.runtime import fail, run_command
from incident_cli.cli.watch import Color, Output, _output_mode
from incident_cli.errors import UsageError


def replay(
    path: Annotated[Path, typer.Argument(help="A file written by watch --record (JSON lines); - for stdin.")],
    speed: Annotated[float, typer.Option("--speed", min=0.0, help="Faster (2) or slower (0.5); 0 plays it all at once.")] = 1.0,
    output: Annotated[Output, typer.Option("--output", "-o", help="table on a terminal, jsonl when piped (auto); or text.")] = Output.auto,
    color: Annotated[Color, typer.Option("--color", help="Colour: auto honours NO_COLOR, FORCE_COLOR, TERM=dumb.")] = Color.auto,
    max_rows: Annotated[int | None, typer.Option("--max-rows", min=1, help="Table rows at most.")] = None,
) -> None:
    """Replay a recording: for reviews after an incident, demos and tests."""
    try:
        lines = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    except OSError as exc:
        fail(UsageError(f"cannot read {path}: {exc.strerror}"))
    mode = _output_mode(output)

    async def run(_stop) -> None:  # type: ignore[no-untyped-def]
        from incident_cli.record import replay as feed

        if mode is Output.table:
            from incident_cli.render.board import Board
            from incident_cli.render.table import TableView
            from incident_cli.render.terminal import make_console

            now = [datetime.now(timezone.utc)]  # the table's clock is the recording's
            view = TableView(make_console(sys.stdout, color=color.value), Board(), max_rows=max_rows, clock=lambda: now[0])
            async with view:
                await feed(lines, view, speed=speed, on_time=lambda moment: now.__setitem__(0, moment))
                view.ended(None)
            return
        from incident_cli.render.status import StatusLines
        from incident_cli.render.writer import line_sink

        writer = line_sink(sys.stdout)
        status = StatusLines(sys.stderr)
        if mode is Output.text:
            from incident_cli.render.terminal import make_console
            from incident_cli.render.text import TextLines
            from incident_cli.render.writer import TextStream

            target = TextLines(make_console(TextStream(writer, sys.stdout), color=color.value), status)
        else:
            from incident_cli.render.jsonl import JsonLinesRenderer

            target = JsonLinesRenderer(writer, status, snapshots=True)
        try:
            await feed(lines, target, speed=speed)
        finally:
            writer.close(2.0)
            if writer.broken:
                raise BrokenPipeError

    run_command(run)
