"""`incidents check`: a health probe that tells the failure kinds apart by exit status."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import exit_status_for, run_command
from incident_cli.env import Env
from incident_cli.errors import IncidentsError

Timeout = Annotated[str, typer.Option("--timeout", help="Time for each step: 250ms, 5s, 1m.")]
WithQuery = Annotated[bool, typer.Option("--query/--no-query", help="Also run a small query (default).")]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON object on stdout, also on failure.")]


def check(
    ctx: typer.Context, url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    timeout: Timeout = "5s", query: WithQuery = True, as_json: AsJson = False,
) -> None:
    """Connect once: handshake, a GraphQL ping/pong and a small query, with their latency.

    Exit 0 when healthy; 69 unreachable, 77 credentials rejected, 76 protocol mismatch, 78 configuration.
    """
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
    from incident_cli.durations import parse_duration

    run_command(env, lambda _stop: probe(env, flags, timeout=parse_duration(timeout, option="--timeout"), query=query,
                                         as_json=as_json))


async def probe(env: Env, flags: dict[str, Any], *, timeout: float, query: bool, as_json: bool) -> None:
    from incident_cli.check import check as measure
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.watch_plan import plaintext_warning

    try:
        settings = load_settings(environ=env.environ, flags=flags)
        plaintext_warning(settings)
        # One attempt, each step bounded by --timeout: the exit status says which step failed.
        config = SessionConfig.from_settings(settings, ping_interval=None, ping_timeout=None, open_timeout=timeout,
                                             ack_timeout=timeout, close_timeout=min(timeout, 2.0))
        result = await measure(config, make_credentials(settings, config.ssl), query=query)
    except IncidentsError as error:
        if as_json:
            record = {"ok": False, "status": int(exit_status_for(error)), "error": error.message}
            env.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
        raise
    if as_json:
        # Timings to a tenth of a millisecond: the rest is noise, and 4.000129 reads as precision it is not.
        measured = dataclasses.asdict(result).items()
        record = {key: round(value, 1) if isinstance(value, float) else value for key, value in measured}
        env.stdout.write(json.dumps({"ok": True, **record}, ensure_ascii=True, sort_keys=True) + "\n")
        return
    parts = [f"handshake {result.handshake_ms:.1f} ms"]
    if result.ping_ms is not None:
        parts.append(f"ping {result.ping_ms:.1f} ms")
    if result.query_ms is not None:
        count = f" ({result.active_incidents} active incidents)" if result.active_incidents is not None else ""
        parts.append(f"query {result.query_ms:.1f} ms{count}")
    over = "; queries over HTTP" if result.queries == "http" else ""
    env.stdout.write(f"ok: {result.server} speaks {result.subprotocol}{over}; {', '.join(parts)}\n")
