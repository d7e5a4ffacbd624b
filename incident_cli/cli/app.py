"""The Typer app: parse, pick the renderer, map errors to exit statuses in ONE place.

Heavy modules (websockets, graphql-core, the demo server) are imported inside the
commands, after parsing, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from incident_cli import __version__
from incident_cli.cli.credentials import config_app, token
from incident_cli.cli.demo import demo
from incident_cli.cli.check import check
from incident_cli.cli.replay import replay
from incident_cli.cli.runtime import ExitStatus
from incident_cli.cli.schema import schema
from incident_cli.cli.watch import watch
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


app.command()(watch)
app.command()(token)
app.command()(demo)
app.command()(schema)
app.command()(check)
app.command()(replay)
app.add_typer(config_app, name="config")


def main() -> None:
    try:
        app(prog_name="incidents")  # the same name (and completion variable) under python -m
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, no locals
        if os.environ.get("INCIDENTS_DEBUG"):
            raise
        sys.stderr.write(f"incidents: internal error: {type(exc).__name__}: {sanitize(str(exc), max_length=300)}\n")
        sys.exit(int(ExitStatus.CLIENT_BUG))
