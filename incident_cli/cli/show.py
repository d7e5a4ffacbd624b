"""`incidents show ID` (one incident in full) and `incidents list` (every active one, once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env

IncidentId = Annotated[str, typer.Argument(help="The incident's id, or a unique start of it (8 characters usually do).")]
FromRecording = Annotated[
    Optional[Path], typer.Option("--recording", "-r", help="Also show the updates this recording (watch --record) holds for it.")
]


Follow = Annotated[bool, typer.Option("--follow", "-f", help="Then print each change to it until it is resolved or closed.")]
ShowOutputOption = Annotated[o.TextOrJson, typer.Option("--output", "-o", help="text on a terminal, json when piped (auto).")]


def show(
    ctx: typer.Context, incident_id: IncidentId, url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None,
    ca_file: o.CaFile = None, output: ShowOutputOption = o.TextOrJson.auto, color: o.ColorOption = o.Color.auto,
    recording: FromRecording = None, follow: Follow = False,
) -> None:
    """Show one incident in full: fields, description, labels, resources, times, timeline, and updates seen."""
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
    run_command(env, lambda stop: show_incident(env, flags, incident_id, output.value, color.value, recording,
                                                follow=stop if follow else None))


async def show_incident(
    env: Env, flags: dict[str, Any], wanted: str, mode: str, color: str, recording: Path | None, *, follow: Any = None
) -> int | None:
    """The incident in full; ``follow`` (the run's stop): then each change to it, until it is done."""
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.show import find_incident
    from incident_cli.watch_plan import plaintext_warning

    settings = load_settings(environ=env.environ, flags=flags)
    warning = plaintext_warning(settings)
    if warning:
        env.say(f"incidents: {warning}")
    records = _recorded(recording, env) if recording is not None else None
    config = SessionConfig.from_settings(settings)
    data = await find_incident(config, make_credentials(settings, config.ssl), wanted, env.environ)
    if mode == "auto":
        mode = "text" if env.isatty(env.stdout) else "json"
    if mode == "json":
        about = [record for _, _, record in records or () if _about(record) == data.get("id")]
        shown = {**data, "updatesSeen": about} if records is not None else data
        env.stdout.write(json.dumps(shown, ensure_ascii=True, sort_keys=True) + "\n")
    else:
        _print_detail(env, data, records, color, paged=follow is None)
    if follow is None:
        return None
    from incident_cli.cli.watch import watch_command
    from incident_cli.model import DONE_STATES

    if data.get("state") in DONE_STATES:
        return None  # nothing more will happen to it
    env.stdout.flush()
    from incident_cli.watch_plan import WatchArgs

    args = WatchArgs(url=[flags["url"]] if flags["url"] else None, profile=[flags["profile"]] if flags["profile"] else None,
                     token_file=flags["token_file"], ca_file=flags["ca_file"], incident=[str(data.get("id"))],
                     output="jsonl" if mode == "json" else "text", color=color, backfill=False)
    return await watch_command(args, env, follow)


Recorded = tuple[int, str, dict[str, Any]]  # a recording's line: its number, its text, its record


def _recorded(path: Path, env: Env) -> list[Recorded]:
    """The records of a recording (read before connecting: a file that cannot be read is a usage
    error at once); lines a crash left unreadable are skipped, counted and said once."""
    from incident_cli.record import NotARecord, decode
    from incident_cli.recorded import Skipped, numbered_lines, open_recording

    skipped = Skipped()
    records: list[Recorded] = []
    with open_recording(path, env.stdin) as stream:
        for number, line in numbered_lines(stream, skipped):
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
                if _about(record) is not None and record.get("kind") != "status":
                    decode(line, number)  # what the detail will replay must be a record
            except (ValueError, RecursionError, NotARecord):
                skipped.add(number)
                continue
            records.append((number, line, record))
    skipped.check_usable(str(path))
    warning = skipped.warning(str(path))
    if warning:
        env.say(f"incidents: warning: {warning}")
    return records


def _about(record: dict[str, Any]) -> str | None:
    value = record.get("incident_id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


def _print_detail(env: Env, data: dict[str, Any], records: list[Recorded] | None, color: str, *, paged: bool = True) -> None:
    from incident_cli import model
    from incident_cli.record import decode
    from incident_cli.render import Streams
    from incident_cli.render.board import Board
    from incident_cli.render.detail import detail
    from incident_cli.render.pager import print_paged
    from incident_cli.render.terminal import make_console
    from incident_cli.tracking import described

    board = Board(keep_resolved=float("inf"))
    now = datetime.now(UTC)
    incident = model.Incident.from_data(data)
    for number, line, record in records or ():
        if _about(record) == incident.id and record.get("kind") != "status":
            when, how, event = decode(line, number)  # as replay reads it
            if how == "write":
                board.apply(event, when)
    board.learn(described(model.Label.LOOKUP, data, now), now)  # the server's description, last: it is now
    row = board.rows[str(incident.id)]
    hint = "(none: --recording FILE shows what a recording saw)" if records is None else "(none in the recording)"
    console = make_console(env.stdout, color=color, environ=env.environ)
    shown = detail(row, now, none=hint, server=data)
    if paged:
        print_paged(console, Streams(stdout=env.stdout, stderr=env.stderr, environ=env.environ), shown)
    else:
        console.print(shown)  # a pager would hold the changes that follow back


def list_(
    ctx: typer.Context, url: o.Urls = None, profile: o.Profiles = None, severity: o.Severity = None, team: o.Team = None,
    label: o.Label = None, state: o.State = None, assignee: o.Assignee = None, grep: o.Grep = None, since: o.Since = None,
    output: o.OutputOption = o.Output.auto, color: o.ColorOption = o.Color.auto, columns: o.Columns = None,
    label_column: o.LabelColumn = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    connect_timeout: o.ConnectTimeout = None, demo: o.Demo = False, jq: o.Jq = None, limit: o.Limit = None,
) -> None:
    """List every active incident that passes the filters, once: a table (paged when long), JSON lines when piped."""
    from incident_cli.cli.watch import watch_command
    from incident_cli.watch_plan import WatchArgs

    args = WatchArgs(
        url=url, profile=profile, severity=severity, team=team, label=label, state=state, assignee=assignee, grep=grep,
        since=since, output=output.value, color=color.value, columns=columns, label_column=label_column,
        token_file=token_file, ca_file=ca_file, connect_timeout=connect_timeout, demo=demo, jq=jq, limit=limit, once=True,
    )
    env = o.env_of(ctx)
    run_command(env, lambda stop: watch_command(args, env, stop))
