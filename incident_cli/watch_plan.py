"""``incidents watch`` planned: the command line and the settings in, a frozen plan out.

Pure (no socket, no stream, no environment read): everything a run needs is decided here,
so a test can ask ``plan_watch(...).request.count`` without connecting anywhere. A bad
value is a UsageError or ConfigError with one line; ``watch_run.py`` carries the plan out.
"""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.durations import parse_duration
from incident_cli.errors import ConfigError, UsageError
from incident_cli.incident_filter import parse_filter
from incident_cli.operations import Operation
from incident_cli.render import OutputSpec
from incident_cli.settings import Settings
from incident_cli.values import frozen
from incident_cli.watch import WatchRequest

TABLE, TEXT, JSONL = "table", "text", "jsonl"


@frozen
class WatchArgs:
    """What the command line said, as typed (None: not given)."""

    url: list[str] | None = None
    profile: list[str] | None = None
    severity: str | None = None
    subscribe: list[str] | None = None
    query: str | None = None
    var: list[str] | None = None
    variables: str | None = None
    operation_name: str | None = None
    count: int | None = None
    for_: str | None = None
    output: str = "auto"
    color: str = "auto"
    backfill: bool | None = None
    fps: float = 4.0  # --fps (and its old name --refresh): the table's frames per second
    max_rows: int | None = None
    keep_resolved: str = "5m"
    columns: str | None = None
    label_column: list[str] | None = None
    no_input: bool = False
    team: str | None = None
    label: list[str] | None = None
    state: str | None = None
    assignee: str | None = None
    grep: str | None = None
    incident: list[str] | None = None
    token_file: Path | None = None
    token_stdin: bool = False
    token: str | None = None
    refresh_token_file: Path | None = None
    refresh_url: str | None = None
    ca_file: Path | None = None
    allow_insecure_transport: bool | None = None
    proxy: bool | None = None
    debug: bool = False
    adapt: bool = True
    protocol: str | None = None
    ack_timeout: str | None = None  # as typed: 10s, 500ms (settings.py reads it)
    connect_timeout: str | None = None
    max_retries: int | None = None
    ping_interval: str | None = None
    ping_timeout: str | None = None
    max_message_size: str | None = None
    repair: bool = True
    status_events: bool = False
    raw_streams: bool = False
    on_overflow: str = "drop"
    fail_on: str | None = None
    idle_exit: str | None = None
    once: bool = False
    limit: int | None = None  # list: at most this many incidents
    since: str | None = None
    record: Path | None = None
    exec_: str | None = None
    exec_timeout: str = "10s"
    exec_concurrency: int = 4
    bell: str | None = None
    notify: str | None = None
    template: str | None = None
    jq: str | None = None
    time_format: str | None = None
    demo: bool = False


@frozen
class ServerSpec:
    """One server to watch, before its settings are read: named when several are watched."""

    name: str | None
    url: str | None
    profile: str | None


@frozen
class SourcePlan:
    """One server to watch, and its settings."""

    name: str | None
    settings: Settings


@frozen
class ExtrasSpec:
    """Side effects per event: --record, --exec, --bell, --notify."""

    record: Path | None = None
    hook: str | None = None
    hook_timeout: float = 10.0
    hook_concurrency: int = 4
    bell: frozenset[str] = frozenset()  # severities of new incidents that ring the terminal bell
    notify: frozenset[str] = frozenset()  # severities of new incidents that get a desktop notification


@frozen
class WatchPlan:
    """Everything a watch needs, decided before anything connects."""

    sources: tuple[SourcePlan, ...]
    request: WatchRequest  # for each server; with several, --count is counted across them (``count``)
    count: int | None
    output: OutputSpec
    extras: ExtrasSpec
    streams: tuple[str, ...]  # the built-in streams, rebuilt from each server's schema (empty: none)
    custom: Operation | None  # a --query document, checked against the schema before it is sent
    adapt: bool  # --schema: fit documents to the server's schema
    demo: bool
    debug: bool
    warnings: tuple[str, ...] = field(default=())  # said once on stderr before connecting
    unconfigured: bool = False  # no server was named anywhere: the built-in default is only tried


NOTHING_CONFIGURED = (
    "no server is configured, and none answers at the default {url}: name one with --url or INCIDENTS_URL, "
    "or a profile in {config}, or try incidents watch --demo"
)


def server_specs(args: WatchArgs) -> list[ServerSpec]:
    """--url more than once, or --profile more than once: several servers in one view."""
    urls, profiles = args.url or [], args.profile or []
    if len(urls) > 1 and len(profiles) > 1:
        raise UsageError("several servers: give --url more than once, or --profile more than once, not both")
    if len(urls) > 1:
        specs = [ServerSpec(name=source_name(one), url=one, profile=profiles[0] if profiles else None) for one in urls]
    elif len(profiles) > 1:
        specs = [ServerSpec(name=one, url=urls[0] if urls else None, profile=one) for one in profiles]
    else:
        specs = [ServerSpec(name=None, url=urls[0] if urls else None, profile=profiles[0] if profiles else None)]
    if args.demo and len(specs) > 1:
        raise UsageError("--demo watches one server")
    return specs


def source_name(url: str) -> str:
    """A server's name in a merged view: its host, and port when one is given."""
    parts = urlsplit(url if "://" in url else f"ws://{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)


def settings_flags(args: WatchArgs, spec: ServerSpec, stdin_token: Any) -> dict[str, Any]:
    """The command line's part in one server's settings (cli/settings.py decides precedence)."""
    return {
        "url": spec.url, "profile": spec.profile, "token_file": args.token_file, "token_stdin": stdin_token,
        "refresh_token_file": args.refresh_token_file, "refresh_url": args.refresh_url, "ca_file": args.ca_file,
        "protocol": args.protocol, "ack_timeout": args.ack_timeout, "open_timeout": args.connect_timeout,
        "max_retries": args.max_retries, "allow_insecure_transport": args.allow_insecure_transport, "proxy": args.proxy,
        "ping_interval": args.ping_interval, "ping_timeout": args.ping_timeout, "max_message_size": args.max_message_size,
        "severity": args.severity, "columns": args.columns, "label_columns": tuple(args.label_column or ()) or None,
        "team": args.team, "labels": tuple(args.label or ()) or None, "state": args.state, "assignee": args.assignee,
        "grep": args.grep,
    }


def plan_watch(
    servers: list[tuple[ServerSpec, Settings]],
    args: WatchArgs,
    *,
    query_text: str | None,
    stdout_tty: bool,
    term: str,
    keys: bool = False,
) -> WatchPlan:
    """The whole run, decided: what to subscribe, which bounds, which output, which servers."""
    settings = servers[0][1]
    severities = ops.parse_severities(settings.severity, option=settings.origins.get("severity", "--severity"))
    custom, chosen, streams = _operations(args, query_text, severities)
    facets = parse_filter(team=settings.team, labels=settings.labels, state=settings.state, assignee=settings.assignee,
                          grep=settings.grep, options=settings.origins)
    if facets and custom is not None:
        raise UsageError("--team, --label, --state, --assignee and --grep filter incidents; they do not go with --query")
    kind = ops.operation_kind(custom.document, args.operation_name) if custom is not None else None
    one_shot = args.once or kind in ("query", "mutation")
    # Nothing names a server (no --url, INCIDENTS_URL or profile): the built-in default is tried,
    # not tailed for ever (kubectl's first run); a server someone named keeps the never-give-up tail.
    unconfigured = not args.demo and all("url" not in one.origins for _, one in servers)
    output = replace(plan_output(args, settings, stdout_tty=stdout_tty, term=term, streams=streams, keys=keys),
                     only=facets, severities=severities)
    several = len(servers) > 1
    request = WatchRequest(
        operations=chosen,
        count=None if several else args.count,  # with several servers --count is for all of them
        duration=_duration(args.for_, "--for"),
        backfill=args.backfill if args.backfill is not None else output.mode == TABLE,
        repair=args.repair,
        severities=severities,
        once=args.once,
        limit=args.limit,
        since=_duration(args.since, "--since"),
        idle_exit=_duration(args.idle_exit, "--idle-exit"),
        fail_on=frozenset(ops.parse_severities(args.fail_on, option="--fail-on")),
        connect_within=settings.open_timeout if one_shot else None,
        follow_owners=output.mode == TABLE or bool(facets.assignees),  # the table and --assignee need the owner
        facets=facets,
        raw_streams=args.raw_streams,
        only_ids=frozenset(args.incident or ()),
    )
    extras = ExtrasSpec(
        record=args.record, hook=args.exec_, hook_timeout=parse_duration(args.exec_timeout, option="--exec-timeout"),
        hook_concurrency=args.exec_concurrency, bell=_severities(args.bell, "--bell"),
        notify=_severities(args.notify, "--notify"),
    )
    warnings = tuple(w for _, one in servers if (w := plaintext_warning(one, demo=args.demo)))
    return WatchPlan(
        sources=tuple(SourcePlan(name=spec.name, settings=one) for spec, one in servers), request=request,
        count=args.count, output=output, extras=extras, streams=() if args.once else streams, custom=custom,
        adapt=args.adapt, demo=args.demo, debug=args.debug, warnings=warnings, unconfigured=unconfigured,
    )


def _operations(
    args: WatchArgs, query_text: str | None, severities: tuple[str, ...]
) -> tuple[Operation | None, list[Operation], tuple[str, ...]]:
    """(the custom document, the operations to subscribe, the built-in stream names)."""
    if args.query is not None:
        if args.once:
            raise UsageError("--once lists incidents; it does not go with --query")
        custom = ops.custom(query_text or "", ops.parse_variables(args.var, args.variables), args.operation_name)
        return custom, [custom], ()
    if args.var or args.variables:
        raise UsageError("--var and --variables go with --query")
    streams = ops.parse_streams(args.subscribe)
    chosen = [] if args.once else [ops.subscription(name, severities=severities) for name in streams]
    return None, chosen, streams


def plan_output(
    args: WatchArgs, settings: Settings, *, stdout_tty: bool, term: str, streams: tuple[str, ...], keys: bool = False
) -> OutputSpec:
    """Which renderer, and how it is set: -o wins; a profile's ``output`` only on a terminal.
    ``keys``: stdin and stderr are terminals too, so the table can be a console with keys."""
    mode = _mode(args, settings, stdout_tty=stdout_tty, term=term)
    from incident_cli.render.column_names import parse_columns

    return OutputSpec(
        columns=parse_columns(settings.columns, settings.origins.get("columns", "--columns")),
        label_columns=settings.label_columns,
        interactive=mode == TABLE and keys and stdout_tty and not args.no_input and not args.once,
        listing=mode == TABLE and args.once,  # a list is every row once, never cropped
        mode=mode, color=args.color, fps=args.fps, max_rows=args.max_rows,
        keep_resolved=parse_duration(args.keep_resolved, option="--keep-resolved"), snapshots=bool(args.backfill),
        status_events=args.status_events, overflow=args.on_overflow, template=args.template,
        time_format=args.time_format or "local", streams=(model.Label.CUSTOM,) if args.query is not None else streams,
        jq=args.jq,
    )


def _mode(args: WatchArgs, settings: Settings, *, stdout_tty: bool, term: str) -> str:
    """The renderer: -o (``json`` is ``jsonl``), --jq and --template say which; a profile only on a terminal."""
    asked = JSONL if args.output == "json" else args.output
    if args.jq is not None:
        if asked not in ("auto", JSONL) or args.template is not None:
            raise UsageError("--jq filters JSON lines: it does not go with -o table, -o text or --template")
        from incident_cli.render.jq_filter import compile_jq

        compile_jq(args.jq, terminal=stdout_tty)  # a bad program is said before connecting
        return JSONL
    if args.template is not None:
        if asked in (JSONL, TABLE):
            raise UsageError(f"--template lays out text lines: it does not go with -o {asked}")
        from incident_cli.render.template import check as check_template

        check_template(args.template)
        return TEXT
    if asked == "auto" and settings.output and settings.output != "auto" and stdout_tty:
        return settings.output  # machine output never comes from a profile: a pipe gets JSON lines
    return auto_mode(stdout_tty, term) if asked == "auto" else asked


def auto_mode(stdout_tty: bool, term: str) -> str:
    """auto: the table on a terminal, text lines on one that cannot draw it, else JSON lines."""
    if not stdout_tty:
        return JSONL
    return TEXT if term in ("dumb", "unknown") else TABLE


def _duration(text: str | None, option: str) -> float | None:
    return parse_duration(text, option=option) if text is not None else None


def _severities(text: str | None, option: str) -> frozenset[str]:
    return frozenset(ops.parse_severities(text, option=option)) if text is not None else frozenset()


def plaintext_warning(settings: Settings, *, demo: bool = False) -> str | None:
    """A token never crosses plain ws:// to a host outside loopback, unless allowed (then a warning)."""
    from incident_cli.urls import is_loopback

    if demo or (settings.token is None and settings.refresh_token is None):
        return None
    if urlsplit(settings.url).scheme != "ws" or is_loopback(settings.url):
        return None
    host = urlsplit(settings.url).hostname
    if not settings.allow_insecure_transport:
        raise ConfigError(
            f"refusing to send a token over unencrypted ws:// to {host}: use wss://, "
            "or --allow-insecure-transport if you accept that anyone on the path can read it"
        )
    return f"warning: sending the token to {host} over unencrypted ws:// (--allow-insecure-transport)"
