"""`incidents watch`: parse the options, load the settings, hand over to compose."""

from __future__ import annotations

import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli import completion
from incident_cli.cli.runtime import ExitStatus, fail, run_command
from incident_cli.errors import IncidentsError, UsageError


class Output(str, Enum):
    auto = "auto"
    table = "table"
    text = "text"
    jsonl = "jsonl"


class Overflow(str, Enum):
    drop = "drop"
    exit = "exit"


class TimeFormat(str, Enum):
    local = "local"
    utc = "utc"
    relative = "relative"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class ProtocolChoice(str, Enum):
    auto = "auto"
    modern = "graphql-transport-ws"
    legacy = "graphql-ws"


def watch(
    url: Annotated[
        Optional[list[str]],
        typer.Option("--url", "-u", help="Server WebSocket URL [env: INCIDENTS_URL]; more than once: several servers in one view."),
    ] = None,
    severity: Annotated[
        Optional[str],
        typer.Option("--severity", "-s", help="Only these severities, e.g. P0,P1.", autocompletion=completion.severities),
    ] = None,
    subscribe: Annotated[
        Optional[list[str]],
        typer.Option(
            "--subscribe",
            autocompletion=completion.streams,
            help="Streams to follow (repeatable): critical, new, updates, state-changes, alerts. "
            "Default: new, updates, state-changes.",
        ),
    ] = None,
    query: Annotated[
        Optional[str], typer.Option("--query", "-q", help="Run this GraphQL document instead (a file, or - for stdin).")
    ] = None,
    var: Annotated[
        Optional[list[str]], typer.Option("--var", help="A variable for --query: key=string or key:=json (repeatable).")
    ] = None,
    variables: Annotated[Optional[str], typer.Option("--variables", help="Variables for --query as a JSON object.")] = None,
    operation_name: Annotated[Optional[str], typer.Option("--operation-name", help="Operation to run in --query.")] = None,
    count: Annotated[Optional[int], typer.Option("--count", "-n", min=1, help="Exit after N events.")] = None,
    for_: Annotated[Optional[str], typer.Option("--for", help="Exit after this long, e.g. 30s, 5m.")] = None,
    output: Annotated[
        Output, typer.Option("--output", "-o", help="table on a terminal, jsonl when piped (auto); or text.")
    ] = Output.auto,
    color: Annotated[Color, typer.Option("--color", help="Colour: auto honours NO_COLOR, FORCE_COLOR, TERM=dumb.")] = Color.auto,
    backfill: Annotated[
        Optional[bool],
        typer.Option("--backfill/--no-backfill", help="List active incidents before streaming [default: on for the table]."),
    ] = None,
    refresh: Annotated[float, typer.Option("--refresh", min=0.5, max=30.0, help="Table frames per second at most.")] = 4.0,
    max_rows: Annotated[Optional[int], typer.Option("--max-rows", min=1, help="Table rows at most (default: what fits).")] = None,
    keep_resolved: Annotated[
        str, typer.Option("--keep-resolved", help="How long resolved incidents stay in the table.")
    ] = "5m",
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", help="Profile from the config file [env: INCIDENTS_PROFILE]; more than once: several servers.",
                     autocompletion=completion.profiles),
    ] = None,
    token_file: Annotated[
        Optional[Path], typer.Option("--token-file", help="Read the bearer token from this file [env: INCIDENTS_TOKEN_FILE].")
    ] = None,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read the bearer token from stdin.")] = False,
    token: Annotated[
        Optional[str], typer.Option("--token", help="The token itself: other users can read it with ps; prefer INCIDENTS_TOKEN.")
    ] = None,
    refresh_token_file: Annotated[
        Optional[Path], typer.Option("--refresh-token-file", help="Refresh token, to renew the access token before it expires.")
    ] = None,
    refresh_url: Annotated[Optional[str], typer.Option("--refresh-url", help="Token refresh endpoint (default: /auth/refresh on the server).")] = None,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file", help="Also trust this CA (PEM) for wss://.")] = None,
    allow_insecure_transport: Annotated[
        Optional[bool], typer.Option("--allow-insecure-transport", help="Allow sending a token over plain ws:// to a remote host.")
    ] = None,
    proxy: Annotated[Optional[bool], typer.Option("--proxy/--no-proxy", help="Honour the proxy environment variables (default).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Log connections and frames to stderr, secrets redacted.")] = False,
    adapt: Annotated[
        bool, typer.Option("--schema/--no-schema", help="Build the documents from the server's schema (default), or send the reference ones.")
    ] = True,
    protocol: Annotated[
        Optional[ProtocolChoice], typer.Option("--protocol", help="Subprotocol to offer (auto offers both).")
    ] = None,
    ack_timeout: Annotated[
        Optional[float], typer.Option("--ack-timeout", min=0.1, help="Seconds to wait for connection_ack.")
    ] = None,
    max_retries: Annotated[
        Optional[int], typer.Option("--max-retries", min=0, help="Give up after N reconnects in a row (default: never).")
    ] = None,
    connect_timeout: Annotated[
        Optional[str],
        typer.Option("--connect-timeout", help="Time for a connection's handshake; --once and query documents give up connecting after it [default: 10s]."),
    ] = None,
    ping_interval: Annotated[
        str, typer.Option("--ping-interval", help="Keepalive: ping the server this often (WebSocket and GraphQL).")
    ] = "15s",
    ping_timeout: Annotated[
        str, typer.Option("--ping-timeout", help="Keepalive: reconnect when a pong takes longer than this.")
    ] = "10s",
    repair: Annotated[
        bool, typer.Option("--repair/--no-repair", help="After a reconnect, emit what changed while disconnected.")
    ] = True,
    status_events: Annotated[
        bool, typer.Option("--status-events", help="Also write connection and gap records into JSON lines.")
    ] = False,
    on_overflow: Annotated[
        Overflow, typer.Option("--on-overflow", help="When stdout's reader falls behind: drop the oldest, or exit 75.")
    ] = Overflow.drop,
    max_message_size: Annotated[
        str, typer.Option("--max-message-size", help="Largest message accepted from the server.")
    ] = "4MiB",
    fail_on: Annotated[
        Optional[str],
        typer.Option("--fail-on", help="Exit 3 at the end if an incident of these severities was seen, e.g. P0.",
                     autocompletion=completion.severities),
    ] = None,
    idle_exit: Annotated[Optional[str], typer.Option("--idle-exit", help="Exit 0 after this long without an event.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Print the active incidents and exit: a snapshot.")] = False,
    since: Annotated[
        Optional[str], typer.Option("--since", help="With --once or the backfill: only incidents active within this long.")
    ] = None,
    record: Annotated[
        Optional[Path], typer.Option("--record", help="Also keep the stream as JSON lines in this file (for incidents replay).")
    ] = None,
    exec_: Annotated[
        Optional[str], typer.Option("--exec", help="Run this shell command per event: JSON on stdin, INCIDENT_* in the environment.")
    ] = None,
    exec_timeout: Annotated[str, typer.Option("--exec-timeout", help="Stop a hook that runs longer than this.")] = "10s",
    exec_concurrency: Annotated[int, typer.Option("--exec-concurrency", min=1, max=64, help="Hooks running at once.")] = 4,
    bell: Annotated[bool, typer.Option("--bell", help="Ring the terminal bell for new P0/P1 incidents.")] = False,
    template: Annotated[
        Optional[str], typer.Option("--template", help="Text lines laid out as you like: '{severity} {title} ({state})', {data.x.y}.")
    ] = None,
    time_format: Annotated[
        Optional[TimeFormat], typer.Option("--time", help="Times in text lines: local, utc, or relative to the start.")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Start the embedded demo server and watch it.")] = False,
) -> None:
    """Stream incidents and their updates: a live table on a terminal, JSON lines when piped."""
    from incident_cli import compose
    from incident_cli import operations as ops
    from incident_cli.config import load_settings, parse_size
    from incident_cli.durations import parse_duration

    if debug:
        _debug_logging()
    try:
        urls, profiles = url or [], profile or []
        if len(urls) > 1 and len(profiles) > 1:
            raise UsageError("several servers: give --url more than once, or --profile more than once, not both")
        if len(urls) > 1:
            specs = [(_source_name(one), one, profiles[0] if profiles else None) for one in urls]
        elif len(profiles) > 1:
            specs = [(one, urls[0] if urls else None, one) for one in profiles]
        else:
            specs = [(None, urls[0] if urls else None, profiles[0] if profiles else None)]
        if demo and len(specs) > 1:
            raise UsageError("--demo watches one server")
        stdin_token = _read_token_stdin() if token_stdin else None
        every = [(name, load_settings(
            flags={
                "url": one_url,
                "profile": one_profile,
                "token_file": token_file,
                "token_stdin": stdin_token,
                "token": _token_flag(token),
                "refresh_token_file": refresh_token_file,
                "refresh_url": refresh_url,
                "ca_file": ca_file,
                "protocol": protocol.value if protocol else None,
                "ack_timeout": ack_timeout,
                "open_timeout": parse_duration(connect_timeout, option="--connect-timeout") if connect_timeout is not None else None,
                "max_retries": max_retries,
                "allow_insecure_transport": allow_insecure_transport,
                "proxy": proxy,
            }
        )) for name, one_url, one_profile in specs]
        settings = every[0][1]
        severities = ops.parse_severities(
            severity if severity is not None else settings.severity,
            option="--severity" if severity is not None else settings.origins.get("severity", "--severity"),
        )
        if query is not None:
            chosen = [ops.custom(_read_query(query), ops.parse_variables(var, variables), operation_name)]
        else:
            if var or variables:
                raise UsageError("--var and --variables go with --query")
            chosen = [ops.subscription(name, severities=severities) for name in ops.parse_streams(subscribe)]
        duration = parse_duration(for_, option="--for") if for_ is not None else None
        idle = parse_duration(idle_exit, option="--idle-exit") if idle_exit is not None else None
        recent = parse_duration(since, option="--since") if since is not None else None
        alarm = frozenset(ops.parse_severities(fail_on, option="--fail-on"))
        if once and query is not None:
            raise UsageError("--once lists incidents; it does not go with --query")
        # A snapshot or a query document is one-shot: it gets a bounded connect, not a tail's patience.
        one_shot = once or (query is not None and ops.operation_kind(chosen[0].document, operation_name) in ("query", "mutation"))
        if once:
            chosen = []
        grace = parse_duration(keep_resolved, option="--keep-resolved")
        hook_timeout = parse_duration(exec_timeout, option="--exec-timeout")
        if template is not None:
            from incident_cli.render.template import check as check_template

            check_template(template)
            if output is Output.auto:
                output = Output.text  # a template is a text layout
        tuning = compose.Tuning(
            ping_interval=parse_duration(ping_interval, option="--ping-interval"),
            ping_timeout=parse_duration(ping_timeout, option="--ping-timeout"),
            max_size=parse_size(max_message_size, option="--max-message-size"),
        )
        prepared = []
        for name, one in every:
            ssl_context = compose.tls_context(one)
            if not demo and (warning := compose.plaintext_warning(one, one.url)):
                sys.stderr.write(f"incidents: {warning}\n")
            notice = None if demo else compose.expiry_notice(one, duration, time.time())
            if notice and (notice.startswith("warning") or sys.stderr.isatty()):  # notes are for people, not cron
                sys.stderr.write(f"incidents: {notice}\n")
            prepared.append((name, one, ssl_context, compose.credentials_for(one, ssl_context)))
    except IncidentsError as error:
        fail(error)

    if output is Output.auto and settings.output:
        output = Output(settings.output)
    mode = _output_mode(output)
    streams = ["custom"] if query is not None else list(ops.parse_streams(subscribe))

    async def run(stop) -> int:  # type: ignore[no-untyped-def]
        from incident_cli.watch import WatchRequest

        server = None
        if demo:
            from incident_cli.demo.server import DemoServer, ServerOptions

            server = await DemoServer(ServerOptions(port=0)).start()
        several = len(prepared) > 1
        request = WatchRequest(
            operations=chosen,
            count=None if several else count,  # with several servers --count is for all of them
            duration=duration,
            backfill=backfill if backfill is not None else mode is Output.table,
            repair=repair,
            severities=severities,
            once=once,
            since=recent,
            idle_exit=idle,
            fail_on=alarm,
            connect_within=settings.open_timeout if one_shot else None,
        )
        sources = []
        for name, one, ssl_context, credentials in prepared:
            target = server.url if server is not None else one.url
            sources.append(compose.Source(
                name=name,
                config=compose.session_config(one, target, tuning, ssl_context),
                request=request,
                wired=compose.wiring(
                    credentials, target, streams=tuple(ops.parse_streams(subscribe)) if query is None and not once else (),
                    severities=severities, custom=chosen[0] if query is not None else None, adapt=adapt,
                ),
            ))
        recording = compose.open_recording(record) if record is not None else None
        extras = compose.Extras(record=recording, hook=exec_, hook_concurrency=exec_concurrency,
                                hook_timeout=hook_timeout, bell=bell)
        try:
            if mode is Output.table:
                result = await compose.run_table(
                    sources, streams, extras=extras, color=color.value, refresh=refresh, max_rows=max_rows, grace=grace,
                    count=count,
                )
            else:
                result = await compose.run_lines(
                    sources, count=count, text=mode is Output.text, color=color.value, stop=stop,
                    snapshots=bool(backfill), status_events=status_events, overflow=on_overflow.value,
                    extras=extras, line_format=template, time_format=(time_format or TimeFormat.local).value,
                )
        finally:
            if recording is not None:
                recording.close()
            if server is not None:
                await server.stop()
        return int(ExitStatus.INCIDENT_SEEN) if result.alarming else int(ExitStatus.OK)

    run_command(run)


def _source_name(url: str) -> str:
    """A server's name in a merged view: its host, and port when one is given."""
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"ws://{url}")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _token_flag(value: str | None):  # type: ignore[no-untyped-def]
    if value is None:
        return None
    from incident_cli.auth import parse_token

    sys.stderr.write("incidents: warning: --token is visible to other users (ps); prefer INCIDENTS_TOKEN or --token-file\n")
    return parse_token(value, source="--token")


def _read_token_stdin():  # type: ignore[no-untyped-def]
    from incident_cli.auth import parse_token

    if sys.stdin.isatty():
        sys.stderr.write("incidents: paste the token, then press Enter: ")
        sys.stderr.flush()
        return parse_token(sys.stdin.readline(), source="stdin")
    return parse_token(sys.stdin.read(), source="stdin")


def _debug_logging() -> None:
    from incident_cli.redact import install_debug_logging

    install_debug_logging(sys.stderr)


def _output_mode(choice: Output) -> Output:
    """auto: the table on a terminal, text lines on one that cannot draw it, else JSON lines."""
    if choice is not Output.auto:
        return choice
    if not sys.stdout.isatty():
        return Output.jsonl
    return Output.text if os.environ.get("TERM", "") in ("dumb", "unknown") else Output.table


def _read_query(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--query: {source} does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"--query: cannot read {source}") from None
