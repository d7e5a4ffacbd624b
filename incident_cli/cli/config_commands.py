"""`incidents config set/get/unset/use/profiles/init`: profiles kept without opening an editor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli import options as o
from incident_cli.cli.credentials import config_app
from incident_cli.cli.runtime import epilog, run_command
from incident_cli.env import Env
from incident_cli.errors import UsageError
from incident_cli.sanitize import sanitize

Key = Annotated[str, typer.Argument(help="A profile key, as config show names it: url, severity, team, ping_interval, ...")]
Value = Annotated[str, typer.Argument(help="Its value; lists (labels, label_columns) comma-separated.")]
ProfileName = Annotated[str, typer.Argument(help="The profile's name.")]
InitUrl = Annotated[Optional[str], typer.Option("--url", "-u", help="The server's WebSocket URL (asked for when not given).")]
InitTokenFile = Annotated[Optional[str], typer.Option("--token-file", help="Where the token is kept (asked for when not given).")]
Force = Annotated[bool, typer.Option("--force", help="Replace a profile that exists.")]


def _run(ctx: typer.Context, work: Callable[[Env], None]) -> None:
    """A config command: its work in the command's environment, its errors said as every command's are."""
    env = o.env_of(ctx)

    async def body() -> None:
        work(env)

    run_command(env, lambda _stop: body())


def _where(env: Env, profile: str | None) -> tuple[Path, str]:
    """The config file, and the profile a command edits: --profile, INCIDENTS_PROFILE, the default."""
    from incident_cli.cli.config_file import default_name
    from incident_cli.settings import config_path

    path = config_path(env.environ)
    name = profile or env.environ.get("INCIDENTS_PROFILE") or default_name(path) or "default"
    return path, checked_name(name)


def checked_name(name: str) -> str:
    """A profile name the file, the listings and a shell can all hold: printable, on one line."""
    if not name.strip() or not name.isprintable():
        shown = name.encode("ascii", "backslashreplace").decode()[:40]
        raise UsageError(f"a profile name must be printable text on one line (got {shown!r})")
    return name


@config_app.command("set", epilog=epilog("incidents config set severity P0,P1 --profile prod",
                                          "incidents config set labels region=eu-west-1,tier=1"))
def config_set(ctx: typer.Context, key: Key, value: Value, profile: o.Profile = None) -> None:
    """Set KEY to VALUE in a profile (the default one unless --profile), checked before it is written."""

    def work(env: Env) -> None:
        from incident_cli.cli.config_file import set_value

        path, name = _where(env, profile)
        set_value(path, name, key, value, env.environ)
        env.say(f"incidents: {key} set in profile {name} ({path})")

    _run(ctx, work)


@config_app.command("unset", epilog=epilog('incidents config unset team --profile prod'))
def config_unset(ctx: typer.Context, key: Key, profile: o.Profile = None) -> None:
    """Remove KEY from a profile: its default (or the environment's, or a flag's) applies again."""

    def work(env: Env) -> None:
        from incident_cli.cli.config_file import unset_value

        path, name = _where(env, profile)
        if not unset_value(path, name, key):
            raise UsageError(f"profile {name} has no {key} set")
        env.say(f"incidents: {key} removed from profile {name}")

    _run(ctx, work)


@config_app.command("get", epilog=epilog('incidents config get ping_interval', 'incidents config get url --profile staging'))
def config_get(ctx: typer.Context, key: Key, profile: o.Profile = None) -> None:
    """The effective value of KEY (after the profile, the environment and the defaults), on stdout."""

    def work(env: Env) -> None:
        from incident_cli.cli.credentials import settings_rows
        from incident_cli.cli.settings import load_settings

        settings = load_settings(environ=env.environ, flags={"profile": profile})
        for name, value, _origin in settings_rows(settings):
            if name == key:
                shown = ",".join(value) if isinstance(value, tuple) else value
                # A value from the file is shown, never obeyed: no escape reaches the terminal.
                env.stdout.write(("" if shown is None else sanitize(str(shown), max_length=None)) + "\n")
                return
        known = ", ".join(name for name, _, _ in settings_rows(settings))
        raise UsageError(f"unknown setting {key!r} (known: {known})")

    _run(ctx, work)


@config_app.command("use", epilog=epilog('incidents config use staging'))
def config_use(ctx: typer.Context, name: ProfileName) -> None:
    """Make NAME the default profile."""

    def work(env: Env) -> None:
        from incident_cli.cli.config_file import use
        from incident_cli.settings import config_path

        use(config_path(env.environ), checked_name(name))
        env.say(f"incidents: profile {name} is the default now")

    _run(ctx, work)


@config_app.command("profiles", epilog=epilog('incidents config profiles'))
def config_profiles(ctx: typer.Context) -> None:
    """The profiles in the config file, the default marked with *."""

    def work(env: Env) -> None:
        from incident_cli.cli.config_file import default_name, names
        from incident_cli.settings import config_path

        path = config_path(env.environ)
        default = default_name(path)
        for name in names(path):
            env.stdout.write(f"{'*' if name == default else ' '} {sanitize(name, max_length=80)}\n")

    _run(ctx, work)


@config_app.command("init", epilog=epilog("incidents config init --profile prod",
                                           'incidents config init --profile dev -u ws://localhost:8080 --token-file ""'))
def config_init(
    ctx: typer.Context, profile: o.Profile = None, url: InitUrl = None, token_file: InitTokenFile = None, force: Force = False,
) -> None:
    """Write a profile with a server URL and a token file (asked for on a terminal), private (0600)."""

    def work(env: Env) -> None:
        from incident_cli.cli.config_file import init_profile

        path, name = _where(env, profile)
        given_url = url or _ask(env, "Server URL (wss://host/graphql/ws): ")
        given_token = token_file if token_file is not None else _ask(env, "Token file (empty for none): ", optional=True)
        init_profile(path, name, url=given_url, token_file=given_token or None, force=force, environ=env.environ)
        env.say(f"incidents: profile {name} written to {path}; try: incidents check --profile {name}")

    _run(ctx, work)


def _ask(env: Env, prompt: str, *, optional: bool = False) -> str:
    if not env.isatty(env.stdin):
        if optional:
            return ""
        raise UsageError("config init needs --url when stdin is not a terminal")
    env.stderr.write(prompt)
    env.stderr.flush()
    answer = env.stdin.readline().strip()
    if not answer and not optional:
        raise UsageError("a server URL is needed")
    return answer
