"""The Typer app: parse, pick the renderer, map errors to exit statuses in ONE place.

Heavy modules (websockets, graphql-core, the demo server) are imported inside the
commands, after parsing, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from enum import Enum, IntEnum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from incident_cli import __version__
from incident_cli.errors import (
    AuthError,
    ClientBug,
    ConfigError,
    IncidentsError,
    OperationRejected,
    OutputError,
    OutputOverflow,
    ProtocolMismatch,
    Unavailable,
    UsageError,
)
from incident_cli.sanitize import sanitize


class ExitStatus(IntEnum):
    """Documented in the README; sysexits where one fits (RELIABILITY.md)."""

    OK = 0
    USAGE = 2
    OPERATION_REJECTED = 65  # EX_DATAERR: the server refused the GraphQL operation
    UNAVAILABLE = 69  # EX_UNAVAILABLE: unreachable, or gave up reconnecting
    CLIENT_BUG = 70  # EX_SOFTWARE: the server says our messages are invalid
    OUTPUT_ERROR = 74  # EX_IOERR: writing our output failed
    OVERFLOW = 75  # EX_TEMPFAIL: the reader of stdout fell behind and --on-overflow exit
    PROTOCOL = 76  # EX_PROTOCOL: no common subprotocol, invalid server messages, no endpoint
    AUTH = 77  # EX_NOPERM: credentials rejected
    CONFIG = 78  # EX_CONFIG: token missing or malformed, TLS verification failed
    SIGHUP = 129
    SIGINT = 130
    SIGTERM = 143


_STATUS_FOR: list[tuple[type[IncidentsError], ExitStatus]] = [
    (UsageError, ExitStatus.USAGE),
    (ConfigError, ExitStatus.CONFIG),
    (AuthError, ExitStatus.AUTH),
    (ProtocolMismatch, ExitStatus.PROTOCOL),
    (ClientBug, ExitStatus.CLIENT_BUG),
    (OperationRejected, ExitStatus.OPERATION_REJECTED),
    (Unavailable, ExitStatus.UNAVAILABLE),
    (OutputError, ExitStatus.OUTPUT_ERROR),
    (OutputOverflow, ExitStatus.OVERFLOW),
]


def exit_status_for(error: IncidentsError) -> ExitStatus:
    for kind, status in _STATUS_FOR:
        if isinstance(error, kind):
            return status
    return ExitStatus.CLIENT_BUG


class Output(str, Enum):
    auto = "auto"
    table = "table"
    text = "text"
    jsonl = "jsonl"


class Overflow(str, Enum):
    drop = "drop"
    exit = "exit"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class ProtocolChoice(str, Enum):
    auto = "auto"
    modern = "graphql-transport-ws"
    legacy = "graphql-ws"


app = typer.Typer(
    name="incidents",
    help="A command-line tail for incident streams (GraphQL subscriptions over WebSocket).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _fail(error: IncidentsError) -> NoReturn:
    status = exit_status_for(error)
    prefix = "usage error" if status is ExitStatus.USAGE else "error"
    sys.stderr.write(f"incidents: {prefix}: {sanitize(error.message, max_length=600)}\n")
    raise typer.Exit(int(status))


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (`| head`): stop quietly, and keep the interpreter from
    # complaining again when it flushes stdout at exit (Python docs, "Note on SIGPIPE").
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(int(ExitStatus.OK))


def _run(coroutine_factory) -> None:  # type: ignore[no-untyped-def]
    """Run one async command with the one error and signal policy of the tool."""
    logging.getLogger("websockets").addHandler(logging.NullHandler())
    logging.getLogger("websockets").propagate = False  # DEBUG logs carry Authorization
    try:
        status = asyncio.run(_with_signals(coroutine_factory))
    except IncidentsError as error:
        _fail(error)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except KeyboardInterrupt:  # a Ctrl-C that arrived before our handlers were in place
        raise typer.Exit(int(ExitStatus.SIGINT)) from None
    if status:
        raise typer.Exit(status)


SHUTDOWN_DEADLINE = 5.0  # after a signal, the graceful close may take this long at most
_SIGNALS = {signal.SIGINT: ExitStatus.SIGINT, signal.SIGTERM: ExitStatus.SIGTERM, signal.SIGHUP: ExitStatus.SIGHUP}


async def _with_signals(coroutine_factory) -> int:  # type: ignore[no-untyped-def]
    """SIGINT, SIGTERM and SIGHUP cancel the command, which closes the socket with 1001.

    A second signal, or a shutdown that outlives SHUTDOWN_DEADLINE, leaves at once. The
    factory gets ``stop(status)``, safe to call from any thread, to end the same way
    (the stdout writer uses it when the reader goes away).
    """
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received: list[int] = []

    def end(status: int) -> None:
        if received:
            os._exit(received[0])
        received.append(status)
        loop.call_later(SHUTDOWN_DEADLINE, os._exit, status)
        assert main is not None
        main.cancel()

    def stop(status: int) -> None:
        loop.call_soon_threadsafe(end, status)

    for signum, status in _SIGNALS.items():
        loop.add_signal_handler(signum, end, int(status))
    try:
        await coroutine_factory(stop)
    except asyncio.CancelledError:
        if received:
            return received[0]
        raise
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)
    return 0


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"incidents {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """incidents: tail an incident server's live stream."""


@app.command()
def watch(
    url: Annotated[Optional[str], typer.Option("--url", "-u", help="Server WebSocket URL [env: INCIDENTS_URL].")] = None,
    severity: Annotated[
        Optional[str], typer.Option("--severity", "-s", help="Only these severities, e.g. P0,P1.")
    ] = None,
    subscribe: Annotated[
        Optional[list[str]],
        typer.Option(
            "--subscribe",
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
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from the config file [env: INCIDENTS_PROFILE].")] = None,
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
    protocol: Annotated[
        Optional[ProtocolChoice], typer.Option("--protocol", help="Subprotocol to offer (auto offers both).")
    ] = None,
    ack_timeout: Annotated[
        Optional[float], typer.Option("--ack-timeout", min=0.1, help="Seconds to wait for connection_ack.")
    ] = None,
    max_retries: Annotated[
        Optional[int], typer.Option("--max-retries", min=0, help="Give up after N reconnects in a row (default: never).")
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
        settings = load_settings(
            flags={
                "url": url,
                "profile": profile,
                "token_file": token_file,
                "token_stdin": _read_token_stdin() if token_stdin else None,
                "token": _token_flag(token),
                "refresh_token_file": refresh_token_file,
                "refresh_url": refresh_url,
                "ca_file": ca_file,
                "protocol": protocol.value if protocol else None,
                "ack_timeout": ack_timeout,
                "max_retries": max_retries,
                "allow_insecure_transport": allow_insecure_transport,
                "proxy": proxy,
            }
        )
        severities = ops.parse_severities(severity if severity is not None else settings.severity)
        if query is not None:
            chosen = [ops.custom(_read_query(query), ops.parse_variables(var, variables), operation_name)]
        else:
            if var or variables:
                raise UsageError("--var and --variables go with --query")
            chosen = [ops.subscription(name, severities=severities) for name in ops.parse_streams(subscribe)]
        duration = parse_duration(for_, option="--for") if for_ is not None else None
        grace = parse_duration(keep_resolved, option="--keep-resolved")
        tuning = compose.Tuning(
            ping_interval=parse_duration(ping_interval, option="--ping-interval"),
            ping_timeout=parse_duration(ping_timeout, option="--ping-timeout"),
            max_size=parse_size(max_message_size, option="--max-message-size"),
        )
        ssl_context = compose.tls_context(settings)
        if not demo and (warning := compose.plaintext_warning(settings, settings.url)):
            sys.stderr.write(f"incidents: {warning}\n")
        credentials = compose.credentials_for(settings, ssl_context)
        notice = None if demo else compose.expiry_notice(settings, duration, time.time())
        if notice and (notice.startswith("warning") or sys.stderr.isatty()):  # notes are for people, not cron
            sys.stderr.write(f"incidents: {notice}\n")
    except IncidentsError as error:
        _fail(error)

    if output is Output.auto and settings.output:
        output = Output(settings.output)
    mode = _output_mode(output)
    streams = ["custom"] if query is not None else list(ops.parse_streams(subscribe))

    async def run(stop) -> None:  # type: ignore[no-untyped-def]
        from incident_cli.watch import WatchRequest

        server = None
        target = settings.url
        if demo:
            from incident_cli.demo.server import DemoServer, ServerOptions

            server = await DemoServer(ServerOptions(port=0)).start()
            target = server.url
        config = compose.session_config(settings, target, tuning, ssl_context)
        request = WatchRequest(
            operations=chosen,
            count=count,
            duration=duration,
            backfill=backfill if backfill is not None else mode is Output.table,
            repair=repair,
            severities=severities,
        )
        try:
            if mode is Output.table:
                await compose.run_table(
                    config, request, credentials, streams, color=color.value, refresh=refresh, max_rows=max_rows, grace=grace
                )
            else:
                await compose.run_lines(
                    config, request, credentials, text=mode is Output.text, color=color.value, stop=stop,
                    snapshots=bool(backfill), status_events=status_events, overflow=on_overflow.value,
                )
        finally:
            if server is not None:
                await server.stop()

    _run(run)


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


@app.command()
def token(
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from the config file.")] = None,
    token_file: Annotated[Optional[Path], typer.Option("--token-file", help="Read the token from this file.")] = None,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read the token from stdin.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Explain the configured token: who, for what, and until when (signature NOT verified)."""
    import json
    import time

    from incident_cli import auth
    from incident_cli.config import load_settings

    async def read() -> None:
        from incident_cli.credentials import make_credentials

        settings = load_settings(
            flags={"profile": profile, "token_file": token_file, "token_stdin": _read_token_stdin() if token_stdin else None}
        )
        if settings.token is None and settings.refresh_token is None:
            raise ConfigError("no token is configured (INCIDENTS_TOKEN, --token-file, --token-stdin or a profile)")
        current = await make_credentials(settings).current()
        values = auth.claims(current)
        rows = auth.describe(values, time.time())
        origin = settings.origins.get("token") or settings.origins.get("refresh_token", "?")
        if as_json:
            record = {"source": origin, "jwt": values is not None, "claims": _public_claims(values),
                      "expires_at": auth.numeric_claim(values, "exp"), "signature_verified": False}
            sys.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
            return
        sys.stdout.write(f"token from {origin}\n")
        for label, text in rows:
            sys.stdout.write(f"  {label:<9} {sanitize(text, max_length=200)}\n")
        sys.stdout.write("The signature is not verified here: only the server decides whether the token is valid.\n")

    _run(lambda _stop: read())


def _public_claims(values):  # type: ignore[no-untyped-def]
    """Claims fit to print: standard ones only, never a nested secret."""
    keep = ("sub", "iss", "aud", "scope", "scp", "iat", "nbf", "exp")
    return {key: values[key] for key in keep if values and key in values}


config_app = typer.Typer(help="Show the effective configuration and where the config file lives.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from the config file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The effective settings and where each came from; secrets redacted."""
    import json

    from incident_cli.compose import describe
    from incident_cli.config import load_settings

    try:
        settings = load_settings(flags={"profile": profile})
    except IncidentsError as error:
        _fail(error)
    rows = describe(settings)
    if as_json:
        record = {name: {"value": None if value is None else str(value), "from": origin} for name, value, origin in rows}
        record["profile"] = {"value": settings.profile, "from": str(settings.config_path)}
        sys.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
        return
    sys.stdout.write(f"config file: {settings.config_path}{'' if settings.config_path and settings.config_path.exists() else ' (none)'}\n")
    sys.stdout.write(f"profile:     {settings.profile or '(none)'}\n")
    for name, value, origin in rows:
        shown = "-" if value is None else sanitize(str(value), max_length=120)
        sys.stdout.write(f"{name:<25} {shown:<45} {origin}\n")


@config_app.command("path")
def config_path_command() -> None:
    """Where the config file is read from (INCIDENTS_CONFIG, else the XDG config directory)."""
    from incident_cli.config import config_path

    sys.stdout.write(f"{config_path(os.environ)}\n")


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


@app.command()
def demo(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0 picks a free one).")] = 8080,
    rate: Annotated[float, typer.Option("--rate", min=0.0, help="Simulated changes per second.")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 7,
    token: Annotated[
        Optional[str], typer.Option("--token", help="Require this bearer token (a demo secret, not a real one).")
    ] = None,
    protocol: Annotated[
        Optional[list[ProtocolChoice]], typer.Option("--protocol", help="Subprotocols to serve (default both).")
    ] = None,
    heartbeat: Annotated[float, typer.Option("--heartbeat", min=0.05, help="Seconds between HEARTBEAT updates.")] = 5.0,
    hostile_titles: Annotated[
        bool, typer.Option("--hostile-titles", help="Give incidents titles full of escape sequences and markup.")
    ] = False,
    jwt_secret: Annotated[
        Optional[str], typer.Option("--jwt-secret", help="Require HS256 JWTs signed with this demo secret.")
    ] = None,
    token_lifetime: Annotated[float, typer.Option("--token-lifetime", min=0.5, help="Seconds minted tokens live.")] = 300.0,
    refresh_token: Annotated[
        Optional[str], typer.Option("--refresh-token", help="Serve POST /auth/refresh for this refresh token.")
    ] = None,
    refresh_port: Annotated[int, typer.Option("--refresh-port", min=0, max=65535, help="Port of /auth/refresh.")] = 0,
    enforce_expiry: Annotated[bool, typer.Option("--enforce-expiry", help="Close 4403 when a connection's token expires.")] = False,
    print_token: Annotated[bool, typer.Option("--print-token", help="Mint a token and print it (with --jwt-secret).")] = False,
    tls_cert: Annotated[Optional[Path], typer.Option("--tls-cert", help="Serve wss:// with this certificate (PEM).")] = None,
    tls_key: Annotated[Optional[Path], typer.Option("--tls-key", help="The certificate's private key (PEM).")] = None,
    fault: Annotated[
        Optional[list[str]], typer.Option("--fault", hidden=True, help="Fault knob key=value (tests).")
    ] = None,
) -> None:
    """Run the embedded demo incident server."""
    import ssl

    from incident_cli.demo.faults import parse_faults
    from incident_cli.demo.server import ServerOptions, run_demo

    try:
        faults = parse_faults(fault)
    except ValueError as exc:
        _fail(UsageError(str(exc)))
    if (print_token or enforce_expiry or refresh_token) and not jwt_secret:
        _fail(UsageError("--print-token, --enforce-expiry and --refresh-token go with --jwt-secret"))
    server_ssl = None
    if tls_cert is not None:
        server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            server_ssl.load_cert_chain(tls_cert, tls_key)
        except (OSError, ssl.SSLError) as exc:
            _fail(ConfigError(f"cannot load the TLS certificate: {exc}"))
    chosen = [choice.value for choice in protocol if choice is not ProtocolChoice.auto] if protocol else []
    options = ServerOptions(
        host=host,
        port=port,
        seed=seed,
        rate=rate,
        token=token,
        protocols=tuple(chosen) or ("graphql-transport-ws", "graphql-ws"),
        heartbeat_interval=heartbeat,
        faults=faults,
        hostile_titles=hostile_titles,
        jwt_secret=jwt_secret,
        enforce_expiry=enforce_expiry,
        refresh_token=refresh_token,
        refresh_port=refresh_port,
        token_lifetime=token_lifetime,
        ssl=server_ssl,
    )

    def ready(server) -> None:  # type: ignore[no-untyped-def]
        sys.stderr.write(f"incidents demo: serving {server.url} (seed {seed}, {rate:g} changes/s)\n")
        if server.refresh is not None:
            sys.stderr.write(f"incidents demo: token refresh at {server.refresh.url}\n")
        if print_token:
            from incident_cli.demo.auth import mint_token

            sys.stdout.write(mint_token(jwt_secret, lifetime=token_lifetime) + "\n")  # a demo secret
            sys.stdout.flush()
        sys.stderr.flush()

    async def serve(_stop) -> None:  # type: ignore[no-untyped-def]
        try:
            await run_demo(options, ready)
        except OSError as exc:
            raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    _run(serve)


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, no locals
        if os.environ.get("INCIDENTS_DEBUG"):
            raise
        sys.stderr.write(f"incidents: internal error: {type(exc).__name__}: {sanitize(str(exc), max_length=300)}\n")
        sys.exit(int(ExitStatus.CLIENT_BUG))
