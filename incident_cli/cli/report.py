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
from incident_cli.values import frozen

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
    color: o.ColorOption = o.Color.auto, severity: o.Severity = None, team: o.Team = None, limit: o.Limit = None,
) -> None:
    """What happened while you were off: opened, resolved, still open by severity and team, the longest open, owners."""
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
    only = Only(severity=severity, team=team, limit=limit)
    run_command(env, lambda _stop: handover(env, flags, since, recording, output.value, color.value, only))


@frozen
class Only:
    """What the handover is narrowed to: --severity, --team, and --limit incidents a list."""

    severity: str | None = None
    team: str | None = None
    limit: int | None = None


async def handover(
    env: Env, flags: dict[str, Any], since: str, recording: Path | None, mode: str, color: str, only: Only | None = None
) -> None:
    from incident_cli.durations import parse_duration
    from incident_cli.handover import summarise
    from incident_cli.incident_filter import parse_filter
    from incident_cli.operations import parse_severities

    only = only or Only()
    window = timedelta(seconds=parse_duration(since, option="--since"))
    severities = frozenset(parse_severities(only.severity))
    teams = parse_filter(team=only.team)
    assigned_at: dict[str, datetime] = {}
    if recording is not None:
        from incident_cli.recorded import Skipped, numbered_lines, open_recording
        from incident_cli.report import from_recording

        skipped = Skipped()
        with open_recording(recording, env.stdin) as stream:
            incidents, assigned_at = from_recording(numbered_lines(stream, skipped), skipped)
        skipped.check_usable(str(recording))
        warning = skipped.warning(str(recording))
        if warning:
            env.say(f"incidents: warning: {warning}")
    else:
        incidents = await _from_server(env, flags)
    incidents = [i for i in incidents if (not severities or i.severity in severities)
                 and teams.matches(title=None, assignee=None, labels=i.labels, state=None)]
    summary = summarise(incidents, now=datetime.now(UTC), window=window, assigned_at=assigned_at, limit=only.limit)
    if summary.cut:
        env.say(f"incidents: showing at most {only.limit:,} of {summary.opened_count:,} opened and "
                f"{summary.resolved_count:,} resolved (--limit)")
    if mode == "json":
        env.stdout.write(json.dumps(dataclasses.asdict(summary), ensure_ascii=True) + "\n")
        return
    from incident_cli.render.handover import markdown

    text = markdown(summary)
    if mode == "auto" and env.isatty(env.stdout):
        from rich.markdown import Markdown

        from incident_cli.render import Streams
        from incident_cli.render.pager import print_paged
        from incident_cli.render.terminal import make_console

        console = make_console(env.stdout, color=color, environ=env.environ)
        print_paged(console, Streams(stdout=env.stdout, stderr=env.stderr, environ=env.environ), Markdown(text))
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
