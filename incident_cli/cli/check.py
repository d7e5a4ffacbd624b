"""`incidents check`: a health probe that tells the failure kinds apart by exit status."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli.runtime import exit_status_for, fail, run_command
from incident_cli.errors import IncidentsError


def check(
    url: Annotated[Optional[str], typer.Option("--url", "-u", help="Server WebSocket URL [env: INCIDENTS_URL].")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from the config file.")] = None,
    token_file: Annotated[Optional[Path], typer.Option("--token-file", help="Read the bearer token from this file.")] = None,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file", help="Also trust this CA (PEM) for wss://.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds for each step.")] = 5.0,
    query: Annotated[bool, typer.Option("--query/--no-query", help="Also run a small query (default).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout, also on failure.")] = False,
) -> None:
    """Connect once: handshake, a GraphQL ping/pong and a small query, with their latency.

    Exit 0 when healthy; 69 unreachable, 77 credentials rejected, 76 protocol mismatch, 78 configuration.
    """
    from incident_cli import compose
    from incident_cli.check import check as probe

    try:
        settings, ssl_context, credentials = compose.one_off(
            {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
        )
    except IncidentsError as error:
        _report_failure(error, as_json)

    async def run(_stop) -> None:  # type: ignore[no-untyped-def]
        config = compose.session_config(settings, settings.url, compose.Tuning(ping_interval=None, ping_timeout=None, max_size=4 * 1024 * 1024), ssl_context)
        config = type(config)(**{**config.__dict__, "open_timeout": timeout, "ack_timeout": timeout, "close_timeout": min(timeout, 2.0)})
        try:
            result = await probe(config, credentials, query=query)
        except IncidentsError as error:
            _report_failure(error, as_json)
        if as_json:
            record = {"ok": True, **result.__dict__}
            sys.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
            return
        parts = [f"handshake {result.handshake_ms:.1f} ms"]
        if result.ping_ms is not None:
            parts.append(f"ping {result.ping_ms:.1f} ms")
        if result.query_ms is not None:
            count = f" ({result.active_incidents} active incidents)" if result.active_incidents is not None else ""
            parts.append(f"query {result.query_ms:.1f} ms{count}")
        over = "; queries over HTTP" if result.queries == "http" else ""
        sys.stdout.write(f"ok: {result.server} speaks {result.subprotocol}{over}; {', '.join(parts)}\n")

    run_command(run)


def _report_failure(error: IncidentsError, as_json: bool):  # type: ignore[no-untyped-def]
    if as_json:
        record = {"ok": False, "status": int(exit_status_for(error)), "error": error.message}
        sys.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
        sys.stdout.flush()
    fail(error)
