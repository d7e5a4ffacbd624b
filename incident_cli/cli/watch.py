"""`incidents watch`: the signature, then parse -> plan -> run, and the exit status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import ExitStatus, collect_rarely, run_command
from incident_cli.env import Env

if TYPE_CHECKING:
    from incident_cli.watch_plan import WatchArgs


def watch(
    ctx: typer.Context,
    url: o.Urls = None,
    severity: o.Severity = None,
    subscribe: o.Subscribe = None,
    query: o.Query = None,
    var: o.Var = None,
    variables: o.Variables = None,
    operation_name: o.OperationName = None,
    count: o.Count = None,
    for_: o.For = None,
    output: o.OutputOption = o.Output.auto,
    color: o.ColorOption = o.Color.auto,
    backfill: o.Backfill = None,
    fps: o.Fps = 4.0,
    refresh: o.RefreshFps = None,
    max_rows: o.MaxRows = None,
    columns: o.Columns = None,
    label_column: o.LabelColumn = None,
    no_input: o.NoInput = False,
    team: o.Team = None,
    label: o.Label = None,
    state: o.State = None,
    assignee: o.Assignee = None,
    grep: o.Grep = None,
    incident: o.Incident = None,
    keep_resolved: o.KeepResolved = "5m",
    profile: o.Profiles = None,
    token_file: o.TokenFile = None,
    token_stdin: o.TokenStdin = False,
    token: o.Token = None,
    refresh_token_file: o.RefreshTokenFile = None,
    refresh_url: o.RefreshUrl = None,
    ca_file: o.CaFile = None,
    allow_insecure_transport: o.AllowInsecure = None,
    proxy: o.Proxy = None,
    debug: o.Debug = False,
    adapt: o.Adapt = True,
    protocol: o.Protocol = None,
    ack_timeout: o.AckTimeout = None,
    connect_timeout: o.ConnectTimeout = None,
    max_retries: o.MaxRetries = None,
    ping_interval: o.PingInterval = None,
    ping_timeout: o.PingTimeout = None,
    repair: o.Repair = True,
    status_events: o.StatusEvents = False,
    raw_streams: o.RawStreams = False,
    on_overflow: o.OnOverflow = o.Overflow.drop,
    max_message_size: o.MaxMessageSize = None,
    fail_on: o.FailOn = None,
    idle_exit: o.IdleExit = None,
    once: o.Once = False,
    since: o.Since = None,
    record: o.Record = None,
    exec_: o.Exec = None,
    exec_timeout: o.ExecTimeout = "10s",
    exec_concurrency: o.ExecConcurrency = 4,
    bell: o.Bell = None,
    notify: o.Notify = None,
    template: o.Template = None,
    jq: o.Jq = None,
    time_format: o.Time = None,
    demo: o.Demo = False,
) -> None:
    """Stream incidents and their updates: a live table on a terminal, JSON lines when piped."""
    from incident_cli.watch_plan import WatchArgs

    # The signature is the declaration; the plan's arguments are built from it by name, so a
    # rename fails in mypy, not at run time.
    args = WatchArgs(
        url=url, severity=severity, subscribe=subscribe, query=query, var=var, variables=variables,
        operation_name=operation_name, count=count, for_=for_, output=output.value, color=color.value,
        backfill=backfill, fps=refresh if refresh is not None else fps,  # --refresh: the old name of --fps
        max_rows=max_rows, columns=columns, label_column=label_column, no_input=no_input, team=team, label=label,
        state=state, assignee=assignee, grep=grep, incident=incident, keep_resolved=keep_resolved, profile=profile,
        token_file=token_file, token_stdin=token_stdin, token=token, refresh_token_file=refresh_token_file,
        refresh_url=refresh_url, ca_file=ca_file, allow_insecure_transport=allow_insecure_transport, proxy=proxy,
        debug=debug, adapt=adapt, protocol=protocol.value if protocol is not None else None, ack_timeout=ack_timeout,
        connect_timeout=connect_timeout, max_retries=max_retries, ping_interval=ping_interval, ping_timeout=ping_timeout,
        repair=repair, status_events=status_events, raw_streams=raw_streams, on_overflow=on_overflow.value,
        max_message_size=max_message_size, fail_on=fail_on, idle_exit=idle_exit, once=once, since=since, record=record,
        exec_=exec_, exec_timeout=exec_timeout, exec_concurrency=exec_concurrency, bell=bell, notify=notify,
        template=template, jq=jq, time_format=time_format.value if time_format is not None else None, demo=demo,
    )
    env = o.env_of(ctx)
    run_command(env, lambda stop: watch_command(args, env, stop))


async def _followed(settings: Any, wanted: list[str], env: Env) -> list[str]:
    """--incident: the whole ids of the incidents to follow (starts of ids resolved as show does);
    those resolved or closed already are said, and not followed."""
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.model import DONE_STATES
    from incident_cli.sanitize import sanitize
    from incident_cli.show import find_incidents

    config = SessionConfig.from_settings(settings)
    found = await find_incidents(config, make_credentials(settings, config.ssl), wanted, env.environ, "--incident")
    for incident in found:
        if incident.get("state") in DONE_STATES:
            env.say(f"incidents: note: {sanitize(str(incident.get('id')), max_length=8)} is "
                    f"{sanitize(str(incident.get('state')), max_length=20)} already: nothing to follow")
    return [str(incident.get("id")) for incident in found if incident.get("state") not in DONE_STATES]


async def watch_command(args: WatchArgs, env: Env, stop: Any) -> int:
    """Parse (settings per server, the query document), plan, run; the exit status."""
    from incident_cli.cli.inputs import read_query, read_token_stdin, token_flag
    from incident_cli.cli.settings import load_settings
    from incident_cli.errors import Unavailable
    from incident_cli.watch_plan import NOTHING_CONFIGURED, TABLE, plan_watch, server_specs, settings_flags
    from incident_cli.watch_run import run_watch

    stdin_token = read_token_stdin(env) if args.token_stdin else None
    typed_token = token_flag(args.token, env)
    servers = [
        (spec, load_settings(environ=env.environ, flags={**settings_flags(args, spec, stdin_token), "token": typed_token}))
        for spec in server_specs(args)
    ]
    if args.incident:
        followed = await _followed(servers[0][1], args.incident, env)
        if not followed:
            return int(ExitStatus.OK)
        from dataclasses import replace

        args = replace(args, incident=followed)
    query_text = read_query(args.query, env) if args.query is not None else None
    plan = plan_watch(servers, args, query_text=query_text, stdout_tty=env.isatty(env.stdout),
                      term=env.environ.get("TERM", ""), keys=env.isatty(env.stdin) and env.isatty(env.stderr))
    if plan.output.mode != TABLE:
        collect_rarely(env)
    try:
        result = await run_watch(plan, env, stop)
    except Unavailable as error:
        if not plan.unconfigured:
            raise
        first = plan.sources[0].settings
        raise Unavailable(NOTHING_CONFIGURED.format(url=first.url, config=first.config_path) + f" ({error.message})") from None
    return int(ExitStatus.INCIDENT_SEEN) if result.alarming else int(ExitStatus.OK)
