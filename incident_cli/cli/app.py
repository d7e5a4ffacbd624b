"""The Typer app: its commands, and the two ways in (the console script, and in-process runs).

Heavy modules (websockets, graphql-core, the demo server) are imported inside the
commands, after parsing, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from incident_cli import __version__
from incident_cli.cli.check import check
from incident_cli.cli.credentials import config_app, token
from incident_cli.cli.demo import demo
from incident_cli.cli.options import env_of
from incident_cli.cli.replay import replay
from incident_cli.cli.runtime import ExitStatus
from incident_cli.cli.schema import schema
from incident_cli.cli.show import list_, show
from incident_cli.cli.watch import watch
from incident_cli.env import Env
from incident_cli.sanitize import sanitize

app = typer.Typer(
    name="incidents",
    help="A command-line tail for incident streams (GraphQL subscriptions over WebSocket).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        env_of(ctx).stdout.write(f"incidents {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """incidents: tail an incident server's live stream."""


app.command()(watch)
app.command()(token)
app.command()(demo)
app.command()(schema)
app.command()(check)
app.command()(replay)
app.command()(show)
app.command("list")(list_)
app.add_typer(config_app, name="config")


def run(argv: list[str] | None, env: Env) -> int:
    """Run one command line in ``env`` and return its exit status (in-process: tests, embedding)."""
    try:
        app(args=argv, prog_name="incidents", obj=env)  # the same name (and completion variable) under python -m
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitStatus.CLIENT_BUG))
    except Exception as exc:
        if env.environ.get("INCIDENTS_DEBUG"):
            raise
        env.say(f"incidents: internal error: {type(exc).__name__}: {sanitize(str(exc), max_length=300)}")
        return int(ExitStatus.CLIENT_BUG)
    return int(ExitStatus.OK)


def main() -> None:
    """The console script: the process's own streams and environment."""
    sys.exit(run(None, Env.from_process()))
