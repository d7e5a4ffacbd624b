"""Wiring for the watch command: settings -> TLS, credentials, session config; outputs.

The composition layer between cli.py (parsing, exit statuses) and watch.py (the use
case). It applies the transport-security rules before anything is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from incident_cli.config import Settings
from incident_cli.driver.credentials import Credentials, make_credentials
from incident_cli.errors import ConfigError, IncidentsError, OutputError
from incident_cli.messages import Dialect
from incident_cli.redact import display_url
from incident_cli.wording import plural
from incident_cli.render.drops import DropReports
from incident_cli.render.status import StatusLines
from incident_cli.driver.session import SessionConfig
from incident_cli.driver.transport import is_loopback
from incident_cli.watch import Output, WatchRequest, WatchResult, watch

OUTPUT_DRAIN = 2.0  # seconds to let a slow reader take what is queued at the end


@dataclass(frozen=True, kw_only=True)
class Tuning:
    """Command-line knobs that are not settings of a server."""

    ping_interval: float
    ping_timeout: float
    max_size: int


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """System trust store (and SSL_CERT_FILE), plus ``ca_file`` when given."""
    if settings.ca_file is None:
        return None
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except FileNotFoundError:
        raise ConfigError(f"CA file {settings.ca_file} does not exist") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"CA file {settings.ca_file} is not a usable PEM certificate: {exc}") from None


def plaintext_warning(settings: Settings, url: str) -> str | None:
    """A token never crosses plain ws:// to a host outside loopback, unless allowed (then a warning)."""
    if settings.token is None and settings.refresh_token is None:
        return None
    if urlsplit(url).scheme != "ws" or is_loopback(url):
        return None
    host = urlsplit(url).hostname
    if not settings.allow_insecure_transport:
        raise ConfigError(
            f"refusing to send a token over unencrypted ws:// to {host}: use wss://, "
            "or --allow-insecure-transport if you accept that anyone on the path can read it"
        )
    return f"warning: sending the token to {host} over unencrypted ws:// (--allow-insecure-transport)"


def expiry_notice(settings: Settings, run_for: float | None, now: float) -> str | None:
    """Before connecting: say so if the token is expired, or expires before a bounded run ends."""
    from incident_cli.auth import claims
    from incident_cli.config import read_secret_file

    secret = settings.token
    if secret is None or secret.command:
        return None  # a command's token is fetched on connect; it is fresh by design
    token = secret.value if secret.value is not None else read_secret_file(secret.path)  # type: ignore[arg-type]
    from incident_cli.auth import expiry_notice as notice

    return notice(claims(token), now, run_for=run_for, refreshable=settings.refresh_token is not None)


def session_config(settings: Settings, url: str, tuning: Tuning, ssl_context: ssl.SSLContext | None) -> SessionConfig:
    return SessionConfig(
        url=url,
        dialect=None if settings.protocol == "auto" else Dialect(settings.protocol),
        ack_timeout=settings.ack_timeout,
        open_timeout=settings.open_timeout,
        max_retries=settings.max_retries,
        max_size=tuning.max_size,
        ping_interval=tuning.ping_interval,
        ping_timeout=tuning.ping_timeout,
        proxy=settings.proxy,
        ssl=ssl_context,
    )


def credentials_for(settings: Settings, ssl_context: ssl.SSLContext | None) -> Credentials:
    return make_credentials(settings, ssl_context)


def one_off(flags: dict[str, Any]) -> tuple[Settings, ssl.SSLContext | None, Credentials]:
    """Settings, TLS and credentials for a single connection (check, schema), rules applied."""
    from incident_cli.config import load_settings

    settings = load_settings(flags=flags)
    ssl_context = tls_context(settings)
    plaintext_warning(settings, settings.url)
    return settings, ssl_context, credentials_for(settings, ssl_context)


@dataclass(frozen=True, kw_only=True)
class Wiring:
    """What a watch needs besides its request: credentials, and schema-built documents."""

    credentials: Credentials
    planner: Any = None
    documents: Any = None


def wiring(
    credentials: Credentials,
    url: str,
    *,
    streams: tuple[str, ...],
    severities: tuple[str, ...],
    custom: Any = None,
    adapt: bool = True,
) -> Wiring:
    """Schema adaptation (issue of drift): built-in streams are rebuilt from the server's
    schema on connect; a custom document is checked against it before it is sent."""
    from incident_cli.driver.schema_source import CustomCheck, Documents, Planner, schema_source

    if not adapt:
        return Wiring(credentials=credentials)
    if custom is not None:
        return Wiring(credentials=credentials, planner=CustomCheck(custom))
    source = schema_source(url)
    return Wiring(credentials=credentials, planner=Planner(source, streams, severities), documents=Documents(source))


@dataclass(frozen=True, kw_only=True)
class Source:
    """One server to watch; ``name`` is set when several are watched in one view."""

    name: str | None
    config: SessionConfig
    request: WatchRequest
    wired: Wiring


class _AllDone(Exception):
    """--count reached across every server."""


class Sourced:
    """An Output for one of several servers: tags events with its name, counts toward --count."""

    def __init__(self, inner: Output, name: str, shared: dict[str, int], count: int | None, fail_on: frozenset[str]) -> None:
        self._inner, self._name, self._shared, self._count, self._fail_on = inner, name, shared, count, fail_on

    def write(self, event: Any) -> None:
        if self._count is not None and self._shared["written"] >= self._count:
            raise _AllDone  # another server reached it first; its task group is stopping this one
        self._inner.write(dataclasses.replace(event, source=self._name))
        self._shared["written"] += 1
        self._shared["alarming"] += event.severity in self._fail_on
        if self._count is not None and self._shared["written"] >= self._count:
            raise _AllDone

    def snapshot(self, event: Any) -> None:
        self._inner.snapshot(dataclasses.replace(event, source=self._name))

    def report(self, event: Any) -> None:
        forward = getattr(self._inner, "report_from", None)
        if forward is not None:
            forward(self._name, event)
        else:
            self._inner.report(event)


async def watch_sources(sources: list[Source], output: Output, count: int | None) -> WatchResult:
    """One server as it is; several at once into one output, each reconnecting on its own."""
    if len(sources) == 1 and sources[0].name is None:
        one = sources[0]
        return await watch(one.config, one.request, output, one.wired.credentials, one.wired.planner, one.wired.documents)
    shared = {"written": 0, "alarming": 0}

    async def follow(source: Source) -> None:
        name = source.name or source.config.url
        tagged = Sourced(output, name, shared, count, source.request.fail_on)
        wired = source.wired
        try:
            await watch(source.config, source.request, tagged, wired.credentials, wired.planner, wired.documents)
        except IncidentsError as error:
            error.message = f"{name}: {error.message}"  # say which server
            raise

    reason = "completed"
    try:
        async with asyncio.TaskGroup() as group:
            for source in sources:
                group.create_task(follow(source))
    except BaseExceptionGroup as failures:
        # One server's fatal error ends the view (the others are cancelled); --count is no error.
        first = next((e for e in failures.exceptions if not isinstance(e, _AllDone)), None)
        if first is not None:
            raise first from None
        reason = "count"
    return WatchResult(events=shared["written"], reason=reason, alarming=shared["alarming"])


async def run_lines(
    sources: list[Source],
    *,
    text: bool,
    color: str,
    stop: Callable[[int], None],
    snapshots: bool,
    status_events: bool,
    overflow: str,
    extras: Extras | None = None,
    line_format: str | None = None,
    time_format: str = "local",
    count: int | None = None,
) -> WatchResult:
    """JSON lines or text lines, written by a thread so a slow reader never stalls the socket."""
    from incident_cli.render.writer import line_sink

    status = StatusLines(sys.stderr)
    writer = line_sink(sys.stdout, policy=overflow, on_broken=lambda: stop(0))
    drops = DropReports()
    output: Output
    if text:
        from incident_cli.render.terminal import make_console
        from incident_cli.render.text import TextLines
        from incident_cli.render.writer import TextStream

        console = make_console(TextStream(writer, sys.stdout), color=color)
        output = TextLines(console, status, snapshots=snapshots, dropped=writer.take_dropped,
                           template=line_format, time_format=time_format, drops=drops)
    else:
        from incident_cli.render.jsonl import JsonLinesRenderer

        output = JsonLinesRenderer(writer, status, snapshots=snapshots, status_events=status_events, drops=drops)
    try:
        return await _with_extras(output, extras, lambda out: watch_sources(sources, out, count))
    finally:
        late = writer.take_dropped()  # since the last line written
        if late:
            drops.dropped(late)
        total = drops.final()
        if total is not None:
            output.report(total)
        left = await asyncio.to_thread(writer.close, OUTPUT_DRAIN)
        if left:
            status.line(f"warning: {plural(left, 'line')} not written: the reader of stdout stopped reading")
        if writer.broken:
            raise BrokenPipeError


async def run_table(
    sources: list[Source],
    streams: list[str],
    *,
    color: str,
    refresh: float,
    max_rows: int | None,
    grace: float,
    extras: Extras | None = None,
    count: int | None = None,
) -> WatchResult:
    from incident_cli.render.board import Board
    from incident_cli.render.table import TableView
    from incident_cli.render.terminal import make_console

    heartbeats = "updates" in streams  # the reference server beats every 5 s on incidentUpdates
    board = Board(keep_resolved=grace, subscriptions=tuple(streams), heartbeat_period=5.0 if heartbeats else None)
    board.connection.server = sources[0].config.url
    view = TableView(make_console(sys.stdout, color=color), board, refresh=refresh, max_rows=max_rows)
    async with view:
        watching = asyncio.create_task(_with_extras(view, extras, lambda out: watch_sources(sources, out, count)))
        gone = asyncio.create_task(view.gone.wait())
        terminal_failed = False
        try:
            done, _ = await asyncio.wait({watching, gone}, return_when=asyncio.FIRST_COMPLETED)
            terminal_failed = watching not in done
        finally:
            gone.cancel()
            if not watching.done():
                watching.cancel()
            await asyncio.gather(watching, gone, return_exceptions=True)
        if terminal_failed:
            raise terminal_gone(view.failure)
        try:
            result = watching.result()
        except IncidentsError as error:
            view.ended(str(error))
            raise
        view.ended(None)
        return result


def terminal_gone(error: OSError | None) -> BaseException:
    """The table could not be drawn any more: the reader went away (quiet), or the terminal did."""
    if isinstance(error, BrokenPipeError):
        return BrokenPipeError()
    reason = (error.strerror if error is not None else None) or "the terminal went away"
    return OutputError(f"cannot draw the table any more: {reason}")


@dataclass(frozen=True, kw_only=True)
class Extras:
    """Side effects per event: --record, --exec, --bell."""

    record: Any = None  # an open text stream
    hook: str | None = None
    hook_concurrency: int = 4
    hook_timeout: float = 10.0
    bell: bool = False


async def _with_extras(output: Output, extras: Extras | None, run):  # type: ignore[no-untyped-def]
    """Wrap ``output`` with the extras, run ``run(output)``, then let the hooks finish."""
    if extras is None:
        return await run(output)
    from incident_cli.hooks import HookRunner, Hooked

    status = StatusLines(sys.stderr)
    runner = None
    if extras.hook:
        runner = HookRunner(extras.hook, concurrency=extras.hook_concurrency, timeout=extras.hook_timeout,
                            warn=lambda text: status.line(f"warning: {text}"))
    wrapped = _recorded(output, extras.record)
    if runner is not None or extras.bell:
        wrapped = Hooked(wrapped, runner=runner, bell=_bell if extras.bell else None)
    try:
        return await run(wrapped)
    finally:
        if runner is not None:
            await runner.drain(extras.hook_timeout)


def _bell() -> None:
    # BEL on the terminal, never into the data on stdout (works inside tmux).
    stream = sys.stderr if sys.stderr.isatty() else (sys.stdout if sys.stdout.isatty() else None)
    if stream is not None:
        stream.write("\a")
        stream.flush()


def _recorded(output: Output, record: Any) -> Output:
    """--record FILE: the same events, also kept as JSON lines in a file (an open text stream)."""
    if record is None:
        return output
    from incident_cli.record import Recording

    return Recording(output, record)


def open_recording(path: Any) -> Any:
    try:
        return open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by the command when it ends
    except OSError as exc:
        raise ConfigError(f"cannot write the recording {path}: {exc.strerror}") from None


def describe(settings: Settings) -> list[tuple[str, Any, str]]:
    """(setting, value, origin) for ``incidents config show``; secrets never appear."""
    rows: list[tuple[str, Any, str]] = []
    origins = settings.origins
    for name in ("url", "protocol", "ack_timeout", "open_timeout", "max_retries", "ca_file", "severity", "output",
                 "allow_insecure_transport", "proxy"):
        shown = "connect_timeout" if name == "open_timeout" else name  # the profile key and flag say connect
        value = display_url(settings.url) if name == "url" else getattr(settings, name)  # no userinfo, no query
        rows.append((shown, value, origins.get(name, "default")))
    rows.append(("token", settings.token.describe() if settings.token else None, origins.get("token", "none")))
    rows.append(
        ("refresh_token", settings.refresh_token.describe() if settings.refresh_token else None,
         origins.get("refresh_token", "none"))
    )
    rows.append(("refresh_url", settings.effective_refresh_url, origins.get("refresh_url", "default (the server's /auth/refresh)")))
    return rows
