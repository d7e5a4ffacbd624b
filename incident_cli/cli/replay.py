"""`incidents replay`: a recording fed back through the same renderers, with its timing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env

Recording = Annotated[Path, typer.Argument(help="A file written by watch --record (JSON lines); - for stdin.")]
Speed = Annotated[float, typer.Option("--speed", min=0.0, help="Faster (2) or slower (0.5); 0 plays it all at once.")]


def replay(
    ctx: typer.Context, path: Recording, speed: Speed = 1.0, output: o.OutputOption = o.Output.auto,
    color: o.ColorOption = o.Color.auto, max_rows: o.MaxRows = None, no_input: o.NoInput = False,
) -> None:
    """Replay a recording: for reviews after an incident, demos and tests.

    On a terminal it plays in the console: p pauses, the left and right arrows move ten seconds.
    """
    env = o.env_of(ctx)
    run_command(env, lambda stop: play(env, path, speed=speed, mode=output.value, color=color.value, max_rows=max_rows,
                                       keys=not no_input, stop=stop))


async def play(
    env: Env, path: Path, *, speed: float, mode: str, color: str, max_rows: int | None, keys: bool, stop: Any
) -> None:
    from incident_cli.record import Player
    from incident_cli.record import replay as feed
    from incident_cli.recorded import Skipped, numbered_lines, open_recording
    from incident_cli.render import OutputSpec, Streams, rendered
    from incident_cli.watch_plan import auto_mode

    skipped = Skipped()
    lines = numbered_lines(open_recording(path, env.stdin), skipped)
    if mode == "auto":
        mode = auto_mode(env.isatty(env.stdout), env.environ.get("TERM", ""))
    # A person at the keys gets the console, and a replay they can pause and seek.
    interactive = mode == "table" and keys and all(env.isatty(stream) for stream in (env.stdin, env.stdout, env.stderr))
    now = [datetime.now(UTC)]  # the table's clock is the recording's
    spec = OutputSpec(mode=mode, color=color, max_rows=max_rows, snapshots=mode == "jsonl",  # backfill records too
                      replay=("stdin" if str(path) == "-" else path.name, speed), interactive=interactive)
    streams = Streams(stdout=env.stdout, stderr=env.stderr, environ=env.environ)
    player = Player(lines, speed=speed, on_time=lambda moment: now.__setitem__(0, moment),
                    skipped=skipped) if interactive else None

    async def run(output: Any) -> None:
        if player is not None:
            await player.play(output, reset=output.reset)
        else:
            await feed(lines, output, speed=speed, on_time=lambda moment: now.__setitem__(0, moment), skipped=skipped)

    name = "stdin" if str(path) == "-" else str(path)
    try:
        await rendered(spec, streams, run, stop=stop, clock=lambda: now[0], playback=player)
        skipped.check_usable(name)
    finally:
        warning = skipped.warning(name)
        if warning:
            env.say(f"incidents: warning: {warning}")
