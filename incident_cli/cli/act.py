"""`incidents ack|assign|take|comment|escalate|resolve`: acting on incidents from the terminal.

The commands parse and gather (ids from the line or stdin, a message from -m, stdin or
$EDITOR, who "me" is), then hand one Action to act.py. Safety lives there and in
actions.py; here: read-only profiles, and how a question is asked (only on a terminal).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env
from incident_cli.errors import AuthError, UsageError

Ids = Annotated[list[str], typer.Argument(help="Incident ids or unique starts of them; - reads them from stdin, one a line.")]
OneId = Annotated[str, typer.Argument(help="The incident's id, or a unique start of it.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (scripts need it for resolve, escalate, bulk).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the mutation and its variables; send nothing.")]
ReadOnly = Annotated[Optional[bool], typer.Option("--read-only", help="Refuse every action (as a profile's read_only = true).")]
As = Annotated[Optional[str], typer.Option("--as", help="Who 'me' is (default: the profile's user, else the token's).")]
Force = Annotated[bool, typer.Option("--force", help="Take an incident someone else owns; lower a severity.")]


ActOutputOption = Annotated[
    o.TextOrJson, typer.Option("--output", "-o", help="text on a terminal; json (the incident as the server returned it) piped.")
]


def ack(
    ctx: typer.Context, ids: Ids, yes: Yes = False, dry_run: DryRun = False, output: ActOutputOption = o.TextOrJson.auto,
    url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    read_only: ReadOnly = None, debug: o.Debug = False,
) -> None:
    """Acknowledge incidents: move each out of the server's first state (NEW, DETECTED) to the next."""
    what = {"kind": "ack"}
    _run(ctx, what, ids, output=output.value, yes=yes, dry_run=dry_run, debug=debug, url=url, profile=profile,
         token_file=token_file, ca_file=ca_file, read_only=read_only)


def assign(
    ctx: typer.Context, ids: Ids,
    to: Annotated[list[str], typer.Option("--to", help="Who gets it (repeatable); 'me' is you.")],
    force: Force = False, yes: Yes = False, dry_run: DryRun = False, output: ActOutputOption = o.TextOrJson.auto,
    url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    read_only: ReadOnly = None, as_user: As = None, debug: o.Debug = False,
) -> None:
    """Assign incidents to people (replacing who has them)."""
    what = {"kind": "assign", "assignees": tuple(to), "force": force}
    _run(ctx, what, ids, output=output.value, yes=yes, dry_run=dry_run, debug=debug, url=url, profile=profile,
         token_file=token_file, ca_file=ca_file, read_only=read_only, as_user=as_user)


def take(
    ctx: typer.Context, ids: Ids, force: Force = False, yes: Yes = False, dry_run: DryRun = False,
    output: ActOutputOption = o.TextOrJson.auto, url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None,
    ca_file: o.CaFile = None, read_only: ReadOnly = None, as_user: As = None, debug: o.Debug = False,
) -> None:
    """Take incidents: assign them to yourself (asks first when someone else has one)."""
    what = {"kind": "assign", "assignees": ("me",), "force": force}
    _run(ctx, what, ids, output=output.value, yes=yes, dry_run=dry_run, debug=debug, url=url, profile=profile,
         token_file=token_file, ca_file=ca_file, read_only=read_only, as_user=as_user)


def comment(
    ctx: typer.Context, incident_id: OneId,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="The comment; - reads stdin; none: $EDITOR.")] = None,
    dry_run: DryRun = False, output: ActOutputOption = o.TextOrJson.auto, url: o.Url = None, profile: o.Profile = None,
    token_file: o.TokenFile = None, ca_file: o.CaFile = None, read_only: ReadOnly = None, debug: o.Debug = False,
) -> None:
    """Add a comment to an incident's timeline."""
    what = {"kind": "comment", "comment": message}
    _run(ctx, what, [incident_id], output=output.value, yes=False, dry_run=dry_run, debug=debug, url=url,
         profile=profile, token_file=token_file, ca_file=ca_file, read_only=read_only)


def escalate(
    ctx: typer.Context, incident_id: OneId,
    severity: Annotated[str, typer.Argument(help="The new severity: P0 to P4.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; it goes on the timeline).")],
    force: Force = False, yes: Yes = False, dry_run: DryRun = False, output: ActOutputOption = o.TextOrJson.auto,
    url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    read_only: ReadOnly = None, debug: o.Debug = False,
) -> None:
    """Raise an incident's severity (a lower one needs --force)."""
    if not reason.strip():
        raise typer.BadParameter("a reason is required", param_hint="--reason")
    what = {"kind": "escalate", "severity": severity, "reason": reason.strip(), "force": force}
    _run(ctx, what, [incident_id], output=output.value, yes=yes, dry_run=dry_run, debug=debug, url=url,
         profile=profile, token_file=token_file, ca_file=ca_file, read_only=read_only)


class Method(str, Enum):
    manual = "manual"
    automated = "automated"
    assisted = "assisted"


def resolve(
    ctx: typer.Context, ids: Ids,
    notes: Annotated[str, typer.Option("--notes", help="What was done (required; it goes in the resolution).")],
    root_cause: Annotated[Optional[str], typer.Option("--root-cause", help="The root cause, when known.")] = None,
    method: Annotated[Method, typer.Option("--method", help="How it was resolved.")] = Method.manual,
    yes: Yes = False, dry_run: DryRun = False, output: ActOutputOption = o.TextOrJson.auto, url: o.Url = None,
    profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None, read_only: ReadOnly = None,
    debug: o.Debug = False,
) -> None:
    """Resolve incidents with notes (asks first on a terminal; scripts add --yes)."""
    if not notes.strip():
        raise typer.BadParameter("notes are required", param_hint="--notes")
    what = {"kind": "resolve", "notes": notes.strip(), "root_cause": root_cause, "method": method.value}
    _run(ctx, what, ids, output=output.value, yes=yes, dry_run=dry_run, debug=debug, url=url, profile=profile,
         token_file=token_file, ca_file=ca_file, read_only=read_only)


def _run(
    ctx: typer.Context, what: dict[str, Any], ids: list[str], *, output: str, yes: bool, dry_run: bool, debug: bool,
    url: str | None, profile: str | None, token_file: Path | None, ca_file: Path | None, read_only: bool | None,
    as_user: str | None = None,
) -> None:
    """The options every action takes, by name (no locals(): a rename fails in mypy; no class built
    at import: every command's start-up would pay for it)."""
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file, "read_only": read_only,
             "user": as_user}
    run_command(env, lambda _stop: act_command(env, flags, what, ids, output=output, yes=yes, dry_run=dry_run,
                                              debug=debug))


async def act_command(
    env: Env, flags: dict[str, Any], what: dict[str, Any], ids: list[str], *, output: str, yes: bool, dry_run: bool,
    debug: bool,
) -> None:
    import contextlib

    from incident_cli import actions
    from incident_cli.act import Ui, act
    from incident_cli.auth import claims
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.redact import debug_logging
    from incident_cli.watch_plan import plaintext_warning

    settings = load_settings(environ=env.environ, flags=flags)
    if settings.read_only:  # before anything is read or sent
        where = settings.origins.get("read_only", "--read-only")
        raise AuthError(f"read-only ({where}): {what['kind']} would change the server, so nothing was sent")
    wanted = _ids(env, ids)
    warning = plaintext_warning(settings)
    if warning:
        env.say(f"incidents: {warning}")
    config = SessionConfig.from_settings(settings)
    credentials = make_credentials(settings, config.ssl)
    action_values = dict(what)
    if what["kind"] == "comment":
        if what["comment"] == "-" and "-" in ids:
            raise UsageError("stdin carries the ids or the comment, not both: give the id, or -m TEXT")
        action_values["comment"] = _message(env, what["comment"])  # after the read-only check: no editor for nothing
    if what["kind"] == "escalate":
        action_values["severity"] = actions.checked_severity(what["severity"])
    if "me" in action_values.get("assignees", ()):
        me = settings.user or actions.me_from(claims(await credentials.current()))
        if me is None:
            raise UsageError("'me' is nobody: the token names no user (no email, preferred_username or sub claim); "
                             "set the profile's user, or use --as NAME")
        action_values["assignees"] = tuple(me if name == "me" else name for name in action_values["assignees"])
    else:
        me = settings.user
    action = actions.Action(**action_values)
    mode = output if output != "auto" else ("text" if env.isatty(env.stdout) else "json")
    ask = _asker(env) if env.isatty(env.stdin) and env.isatty(env.stderr) and "-" not in ids else None

    def done(action: actions.Action, before: dict[str, Any], after: dict[str, Any]) -> None:
        if mode == "json":
            env.stdout.write(json.dumps(after, ensure_ascii=True, sort_keys=True) + "\n")
        else:
            env.stdout.write(actions.done_line(action, before, after) + "\n")
        env.stdout.flush()

    def dry(sent: dict[str, Any]) -> None:
        env.stdout.write(json.dumps(sent, ensure_ascii=True, sort_keys=True) + "\n")

    ui = Ui(say=env.say, done=done, dry=dry, ask=ask)
    with debug_logging(env.stderr) if debug else contextlib.nullcontext():
        await act(config, credentials, env.environ, action, wanted, ui, me=me, yes=yes, dry_run=dry_run)


def _ids(env: Env, given: list[str]) -> list[str]:
    """The ids as given; ``-`` reads them from stdin, one a line (blank lines and # comments skipped)."""
    wanted: list[str] = []
    for item in given:
        if item != "-":
            wanted.append(item)
            continue
        for line in env.stdin:
            text = line.strip().strip('"')
            if text and not text.startswith("#"):
                wanted.append(text)
    if not wanted:
        raise UsageError("no incident ids given (stdin had none)" if "-" in given else "no incident ids given")
    return wanted


def _asker(env: Env) -> Any:
    def ask(question: str) -> bool:
        env.stderr.write(f"{question} [y/N] ")
        env.stderr.flush()
        answer = env.stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    return ask


def _message(env: Env, given: str | None) -> str:
    """-m TEXT, -m - (stdin), or $EDITOR on a terminal, as git commit does; empty aborts (status 1)."""
    if given == "-":
        text = env.stdin.read()
    elif given is not None:
        text = given
    elif env.isatty(env.stdin) and env.isatty(env.stdout):
        text = _edited(env)
    else:
        raise UsageError("a comment needs -m TEXT (or -m - to read it from stdin)")
    text = text.strip()
    if not text:
        env.say("incidents: aborted: the comment is empty, nothing sent")
        raise typer.Exit(1)
    return text


def _edited(env: Env) -> str:
    import os  # here: an editor is rare, and every command's start-up pays for what app.py imports
    import shlex
    import subprocess
    import tempfile

    editor = env.environ.get("VISUAL") or env.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=".md", prefix="incidents-comment-", delete=False) as handle:
        handle.write("\n# Write the comment above. Lines starting with # are left out; an empty comment aborts.\n")
        path = handle.name
    try:
        subprocess.run([*shlex.split(editor), path], check=False)
        with open(path, encoding="utf-8") as edited:
            return "".join(line for line in edited if not line.startswith("#"))
    finally:
        os.unlink(path)
