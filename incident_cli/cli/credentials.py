"""`incidents token` and `incidents config`: what the credentials and settings are."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli.runtime import fail, run_command
from incident_cli.errors import ConfigError, IncidentsError
from incident_cli.sanitize import sanitize

from incident_cli.cli.watch import _read_token_stdin


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
        from incident_cli.driver.credentials import make_credentials

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

    run_command(lambda _stop: read())


def _public_claims(values):  # type: ignore[no-untyped-def]
    """Claims fit to print: standard ones only, never a nested secret."""
    keep = ("sub", "iss", "aud", "scope", "scp", "iat", "nbf", "exp")
    return {key: values[key] for key in keep if values and key in values}


config_app = typer.Typer(help="Show the effective configuration and where the config file lives.", no_args_is_help=True)


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
        fail(error)
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
