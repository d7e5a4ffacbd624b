"""The options, defined once: every command that takes ``--url`` or ``--profile`` takes the
same one, with the same help. A command's signature is then one line per option.

Values stay as typed (durations and sizes as strings): ``cli/settings.py`` and
``watch_plan.py`` parse them, so a bad one is one line and exit 2, the same everywhere.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli import completion
from incident_cli.env import Env


def env_of(ctx: typer.Context) -> Env:
    """The environment the command runs in: handed down by the entry point, or the process's."""
    return ctx.obj if isinstance(ctx.obj, Env) else Env.from_process()


class Output(str, Enum):
    auto = "auto"
    table = "table"
    text = "text"
    jsonl = "jsonl"
    json = "json"  # the same as jsonl, as gh and kubectl users type it


class TextOrJson(str, Enum):
    """-o of one-shot commands (show, the actions): text on a terminal, json when piped."""

    auto = "auto"
    text = "text"
    json = "json"


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


# ---- where the server is, and who we are ---------------------------------------------------------
Url = Annotated[Optional[str], typer.Option("--url", "-u", rich_help_panel='Connection', help="Server WebSocket URL \\[env: INCIDENTS_URL].")]
Urls = Annotated[
    Optional[list[str]],
    typer.Option("--url", "-u", rich_help_panel='Connection', help="Server WebSocket URL \\[env: INCIDENTS_URL]; more than once: several servers in one view."),
]
Profile = Annotated[
    Optional[str], typer.Option("--profile", "-p", rich_help_panel='Connection', help="Profile from the config file \\[env: INCIDENTS_PROFILE].",
                                autocompletion=completion.profiles)
]
Profiles = Annotated[
    Optional[list[str]],
    typer.Option("--profile", "-p", rich_help_panel='Connection', help="Profile from the config file \\[env: INCIDENTS_PROFILE]; more than once: several servers.",
                 autocompletion=completion.profiles),
]
TokenFile = Annotated[
    Optional[Path], typer.Option("--token-file", rich_help_panel='Credentials', help="Read the bearer token from this file \\[env: INCIDENTS_TOKEN_FILE].")
]
TokenStdin = Annotated[bool, typer.Option("--token-stdin", rich_help_panel='Credentials', help="Read the bearer token from stdin.")]
Token = Annotated[
    Optional[str], typer.Option("--token", rich_help_panel='Credentials', help="The token itself: other users can read it with ps; prefer INCIDENTS_TOKEN.")
]
RefreshTokenFile = Annotated[
    Optional[Path], typer.Option("--refresh-token-file", rich_help_panel='Credentials', help="Refresh token, to renew the access token before it expires.")
]
RefreshUrl = Annotated[Optional[str], typer.Option("--refresh-url", rich_help_panel='Credentials', help="Token refresh endpoint (default: /auth/refresh on the server).")]
CaFile = Annotated[Optional[Path], typer.Option("--ca-file", rich_help_panel='Connection', help="Also trust this CA (PEM) for wss://.")]
AllowInsecure = Annotated[
    Optional[bool], typer.Option("--allow-insecure-transport", rich_help_panel='Connection', help="Allow sending a token over plain ws:// to a remote host.")
]
Proxy = Annotated[Optional[bool], typer.Option("--proxy/--no-proxy", rich_help_panel='Connection', help="Honour the proxy environment variables (default).")]
Json = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]

# ---- the connection ------------------------------------------------------------------------------
Protocol = Annotated[Optional[ProtocolChoice], typer.Option("--protocol", rich_help_panel='Connection', help="Subprotocol to offer (auto offers both).")]
AckTimeout = Annotated[Optional[str], typer.Option("--ack-timeout", rich_help_panel='Keepalive and retries', help="Time to wait for connection_ack \\[default: 10s].")]
ConnectTimeout = Annotated[
    Optional[str],
    typer.Option("--connect-timeout", rich_help_panel='Keepalive and retries', help="Time for a connection's handshake; --once and query documents give up connecting after it \\[default: 10s]."),
]
MaxRetries = Annotated[Optional[int], typer.Option("--max-retries", min=0, rich_help_panel='Keepalive and retries', help="Give up after N reconnects in a row (default: never).")]
PingInterval = Annotated[
    Optional[str], typer.Option("--ping-interval", rich_help_panel='Keepalive and retries', help="Keepalive: ping the server this often (WebSocket and GraphQL) \\[default: 15s].")
]
PingTimeout = Annotated[Optional[str], typer.Option("--ping-timeout", rich_help_panel='Keepalive and retries', help="Keepalive: reconnect when a pong takes longer than this \\[default: 10s].")]
MaxMessageSize = Annotated[Optional[str], typer.Option("--max-message-size", rich_help_panel='Keepalive and retries', help="Largest message accepted from the server \\[default: 4MiB].")]
Debug = Annotated[bool, typer.Option("--debug", rich_help_panel='Connection', help="Log connections and frames to stderr, secrets redacted.")]

# ---- what to watch -------------------------------------------------------------------------------
Severity = Annotated[
    Optional[str], typer.Option("--severity", "-s", rich_help_panel='What to watch', help="Only these severities, e.g. P0,P1.", autocompletion=completion.severities)
]
Subscribe = Annotated[
    Optional[list[str]],
    typer.Option("--subscribe", autocompletion=completion.streams,
                 rich_help_panel='What to watch', help="Streams to follow (repeatable): critical, new, updates, state-changes, alerts. Default: new, updates, state-changes."),
]
Query = Annotated[Optional[str], typer.Option("--query", "-q", rich_help_panel='What to watch', help="Run this GraphQL document instead (a file, or - for stdin).")]
Var = Annotated[Optional[list[str]], typer.Option("--var", rich_help_panel='What to watch', help="A variable for --query: key=string or key:=json (repeatable).")]
Variables = Annotated[Optional[str], typer.Option("--variables", rich_help_panel='What to watch', help="Variables for --query as a JSON object.")]
OperationName = Annotated[Optional[str], typer.Option("--operation-name", rich_help_panel='What to watch', help="Operation to run in --query.")]
Adapt = Annotated[
    bool, typer.Option("--schema/--no-schema", rich_help_panel='What to watch', help="Build the documents from the server's schema (default), or send the reference ones.")
]
Repair = Annotated[bool, typer.Option("--repair/--no-repair", rich_help_panel='What to watch', help="After a reconnect, emit what changed while disconnected.")]
Demo = Annotated[bool, typer.Option("--demo", rich_help_panel='Connection', help="Start the embedded demo server and watch it.")]

# ---- bounds --------------------------------------------------------------------------------------
Count = Annotated[Optional[int], typer.Option("--count", "-n", min=1, rich_help_panel='Bounded runs (cron, scripts)', help="Exit after N events.")]
For = Annotated[Optional[str], typer.Option("--for", rich_help_panel='Bounded runs (cron, scripts)', help="Exit after this long, e.g. 30s, 5m.")]
FailOn = Annotated[
    Optional[str],
    typer.Option("--fail-on", rich_help_panel='Bounded runs (cron, scripts)', help="Exit 3 at the end if an incident of these severities was seen, e.g. P0.",
                 autocompletion=completion.severities),
]
IdleExit = Annotated[Optional[str], typer.Option("--idle-exit", rich_help_panel='Bounded runs (cron, scripts)', help="Exit 0 after this long without an event.")]
Once = Annotated[bool, typer.Option("--once", rich_help_panel='Bounded runs (cron, scripts)', help="Print the active incidents and exit: a snapshot.")]
Since = Annotated[Optional[str], typer.Option("--since", rich_help_panel='Filters', help="With --once or the backfill: only incidents active within this long.")]

# ---- output --------------------------------------------------------------------------------------
OutputOption = Annotated[Output, typer.Option("--output", "-o", rich_help_panel='Output', help="table on a terminal, jsonl when piped (auto); or text.")]
ColorOption = Annotated[Color, typer.Option("--color", rich_help_panel='Output', help="Colour: auto honours NO_COLOR, FORCE_COLOR, TERM=dumb.")]
Backfill = Annotated[
    Optional[bool], typer.Option("--backfill/--no-backfill", rich_help_panel='Output', help="List active incidents before streaming \\[default: on for the table].")
]
Fps = Annotated[float, typer.Option("--fps", min=0.5, max=30.0, rich_help_panel='Table and console', help="Table frames per second at most.")]
# The old name, kept working: next to --refresh-token-file it read as one family.
RefreshFps = Annotated[Optional[float], typer.Option("--refresh", min=0.5, max=30.0, hidden=True)]
Limit = Annotated[Optional[int], typer.Option("--limit", min=1, rich_help_panel='Output', help="At most N incidents; a cut is said on stderr (showing N of M).")]
MaxRows = Annotated[Optional[int], typer.Option("--max-rows", min=1, rich_help_panel='Table and console', help="Table rows at most (default: what fits).")]
Columns = Annotated[
    Optional[str],
    typer.Option("--columns", rich_help_panel='Table and console', help="The table's columns, in order: sev,source,id,title,owner,team,state,type,resources,age,last."),
]
Team = Annotated[Optional[str], typer.Option("--team", rich_help_panel='Filters', help="Only incidents of these teams (the team label), e.g. payments,sre.")]
Label = Annotated[
    Optional[list[str]], typer.Option("--label", rich_help_panel='Filters', help="Only incidents with this label, KEY=VALUE (repeatable: every one must hold).")
]
State = Annotated[Optional[str], typer.Option("--state", rich_help_panel='Filters', help="Only incidents in these states, e.g. NEW,INVESTIGATING.")]
Assignee = Annotated[
    Optional[str], typer.Option("--assignee", rich_help_panel='Filters', help="Only incidents owned by these people; none for unassigned ones.")
]
Grep = Annotated[
    Optional[str], typer.Option("--grep", rich_help_panel='Filters', help="Only incidents whose title, owner, team, state or a label contains this text.")
]
Incident = Annotated[
    Optional[list[str]],
    typer.Option("--incident", rich_help_panel='Filters', help="Follow only this incident (id or unique start; repeatable): ends when every one is resolved or closed."),
]
NoInput = Annotated[
    bool, typer.Option("--no-input", rich_help_panel='Table and console', help="No keys: the live table without the console (as when stdin is not a terminal).")
]
LabelColumn = Annotated[
    Optional[list[str]], typer.Option("--label-column", "-L", rich_help_panel='Table and console', help="Add a column with this label's value (repeatable), e.g. -L env.")
]
KeepResolved = Annotated[str, typer.Option("--keep-resolved", rich_help_panel='Table and console', help="How long resolved incidents stay in the table.")]
StatusEvents = Annotated[bool, typer.Option("--status-events", rich_help_panel='Output', help="Also write connection and gap records into JSON lines.")]
RawStreams = Annotated[
    bool, typer.Option("--raw-streams", rich_help_panel='Output', help="Every server message: a change is then told twice (a state change and its update).")
]
OnOverflow = Annotated[Overflow, typer.Option("--on-overflow", rich_help_panel='Output', help="When stdout's reader falls behind: drop the oldest, or exit 75.")]
Jq = Annotated[
    Optional[str],
    typer.Option("--jq", rich_help_panel='Output', help="Filter and reshape each JSON-lines record with jq, e.g. '.data.title' or 'select(.severity==\"P0\")'."),
]
Template = Annotated[
    Optional[str], typer.Option("--template", rich_help_panel='Output', help="Text lines laid out as you like: '{severity} {title} ({state})', {data.x.y}.")
]
Time = Annotated[Optional[TimeFormat], typer.Option("--time", rich_help_panel='Output', help="Times in text lines: local, utc, or relative to the start.")]

# ---- side effects --------------------------------------------------------------------------------
Record = Annotated[Optional[Path], typer.Option("--record", rich_help_panel='Hooks and recording', help="Also keep the stream as JSON lines in this file (for incidents replay).")]
Exec = Annotated[
    Optional[str], typer.Option("--exec", rich_help_panel='Hooks and recording', help="Run this shell command per event: JSON on stdin, INCIDENT_* in the environment.")
]
ExecTimeout = Annotated[str, typer.Option("--exec-timeout", rich_help_panel='Hooks and recording', help="Stop a hook that runs longer than this.")]
ExecConcurrency = Annotated[int, typer.Option("--exec-concurrency", min=1, max=64, rich_help_panel='Hooks and recording', help="Hooks running at once.")]
Notify = Annotated[
    Optional[str],
    typer.Option("--notify", rich_help_panel='Hooks and recording',
                 help="A desktop notification for new incidents of these severities, e.g. P0,P1 (notify-send, osascript)."),
]
Bell = Annotated[
    Optional[str],
    typer.Option("--bell", metavar="[SEVERITIES]", rich_help_panel='Hooks and recording',
                 help="Ring the terminal bell for new incidents of these severities; --bell alone: P0,P1."),
]
