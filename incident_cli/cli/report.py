"""`incidents report --since 8h`: the shift handover, from the server or from a recording."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env
from incident_cli.errors import UsageError

Window = Annotated[str, typer.Option("--since", help="How far back the handover looks: 8h, 12h, 2d.")]
FromRecording = Annotated[
    Optional[Path], typer.Option("--recording", "-r", help="Report from this recording (watch --record) instead of the server.")
]


class ReportOutput(str, Enum):
    auto = "auto"
    md = "md"
    json = "json"


ReportOutputOption = Annotated[
    ReportOutput, typer.Option("--output", "-o", help="Markdown, drawn on a terminal and as text when piped (auto, md); or json.")
]


def report(
    ctx: typer.Context, since: Window = "8h", url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None,
    ca_file: o.CaFile = None, recording: FromRecording = None, output: ReportOutputOption = ReportOutput.auto,
    color: o.ColorOption = o.Color.auto,
) -> None:
    """What happened while you were off: opened, resolved, still open by severity and team, the longest open, owners."""
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
    run_command(env, lambda _stop: handover(env, flags, since, recording, output.value, color.value))


async def handover(env: Env, flags: dict[str, Any], since: str, recording: Path | None, mode: str, color: str) -> None:
    from incident_cli.durations import parse_duration
    from incident_cli.handover import summarise

    window = timedelta(seconds=parse_duration(since, option="--since"))
    assigned_at: dict[str, datetime] = {}
    if recording is not None:
        from incident_cli.report import from_recording

        try:
            text = env.stdin.read() if str(recording) == "-" else recording.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {recording}: {exc.strerror}") from None
        incidents, assigned_at = from_recording(text.splitlines())
    else:
        incidents = await _from_server(env, flags)
    summary = summarise(incidents, now=datetime.now(UTC), window=window, assigned_at=assigned_at)
    if mode == "json":
        env.stdout.write(json.dumps(dataclasses.asdict(summary), ensure_ascii=True) + "\n")
        return
    from incident_cli.render.handover import markdown

    text = markdown(summary)
    if mode == "auto" and env.isatty(env.stdout):
        from rich.markdown import Markdown

        from incident_cli.render.terminal import make_console

        make_console(env.stdout, color=color, environ=env.environ).print(Markdown(text))
    else:
        env.stdout.write(text)


async def _from_server(env: Env, flags: dict[str, Any]) -> list[Any]:
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.report import from_server
    from incident_cli.watch_plan import plaintext_warning

    settings = load_settings(environ=env.environ, flags=flags)
    warning = plaintext_warning(settings)
    if warning:
        env.say(f"incidents: {warning}")
    config = SessionConfig.from_settings(settings)
    return await from_server(config, make_credentials(settings, config.ssl), env.environ)
