"""`incidents token` and `incidents config`: what the credentials and settings are."""

from __future__ import annotations

import json
import time
from typing import Any

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env
from incident_cli.errors import ConfigError
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize
from incident_cli.settings import Settings


def token(
    ctx: typer.Context, profile: o.Profile = None, token_file: o.TokenFile = None, token_stdin: o.TokenStdin = False,
    as_json: o.Json = False,
) -> None:
    """Explain the configured token: who, for what, and until when (signature NOT verified)."""
    env = o.env_of(ctx)
    run_command(env, lambda _stop: explain_token(env, profile, token_file, token_stdin, as_json))


async def explain_token(env: Env, profile: str | None, token_file: Any, token_stdin: bool, as_json: bool) -> None:
    from incident_cli import auth
    from incident_cli.cli.inputs import read_token_stdin
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials

    stdin_token = read_token_stdin(env) if token_stdin else None
    flags = {"profile": profile, "token_file": token_file, "token_stdin": stdin_token}
    settings = load_settings(environ=env.environ, flags=flags)
    if settings.token is None and settings.refresh_token is None:
        raise ConfigError("no token is configured (INCIDENTS_TOKEN, --token-file, --token-stdin or a profile)")
    values = auth.claims(await make_credentials(settings).current())
    origin = settings.origins.get("token") or settings.origins.get("refresh_token", "?")
    if as_json:
        record = {"source": origin, "jwt": values is not None, "claims": _public_claims(values),
                  "expires_at": auth.numeric_claim(values, "exp"), "signature_verified": False}
        env.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
        return
    env.stdout.write(f"token from {origin}\n")
    for label, text in auth.describe(values, time.time()):
        env.stdout.write(f"  {label:<9} {sanitize(text, max_length=200)}\n")
    env.stdout.write("The signature is not verified here: only the server decides whether the token is valid.\n")


def _public_claims(values: dict[str, Any] | None) -> dict[str, Any]:
    """Claims fit to print: standard ones only, never a nested secret."""
    keep = ("sub", "iss", "aud", "scope", "scp", "iat", "nbf", "exp")
    return {key: values[key] for key in keep if values and key in values}


config_app = typer.Typer(help="Show the effective configuration and where the config file lives.", no_args_is_help=True)


@config_app.command("show")
def config_show(ctx: typer.Context, profile: o.Profile = None, as_json: o.Json = False) -> None:
    """The effective settings and where each came from; secrets redacted."""
    env = o.env_of(ctx)
    run_command(env, lambda _stop: show_settings(env, profile, as_json))


SHOWN = ("url", "protocol", "ack_timeout", "open_timeout", "ping_interval", "ping_timeout", "max_message_size",
         "max_retries", "ca_file", "severity", "output", "columns", "label_columns", "team", "labels", "state", "assignee",
         "grep",
         "allow_insecure_transport", "proxy")
NAMES = {"open_timeout": "connect_timeout"}  # as the profile key and the flag say it


def settings_rows(settings: Settings) -> list[tuple[str, Any, str]]:
    """(setting, value, origin) for ``incidents config show``; secrets never appear."""
    origins = settings.origins
    rows: list[tuple[str, Any, str]] = []
    for name in SHOWN:
        value = display_url(settings.url) if name == "url" else getattr(settings, name)  # no userinfo, no query
        rows.append((NAMES.get(name, name), value, origins.get(name, "default")))
    rows.append(("token", settings.token.describe() if settings.token else None, origins.get("token", "none")))
    rows.append(("refresh_token", settings.refresh_token.describe() if settings.refresh_token else None,
                 origins.get("refresh_token", "none")))
    rows.append(("refresh_url", display_url(settings.effective_refresh_url),
                 origins.get("refresh_url", "default (the server's /auth/refresh)")))
    return rows


async def show_settings(env: Env, profile: str | None, as_json: bool) -> None:
    from incident_cli.cli.settings import load_settings

    settings = load_settings(environ=env.environ, flags={"profile": profile})
    rows = settings_rows(settings)
    if as_json:
        record = {name: {"value": _typed(value), "from": origin} for name, value, origin in rows}
        record["profile"] = {"value": settings.profile, "from": str(settings.config_path)}
        env.stdout.write(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
        return
    exists = settings.config_path is not None and settings.config_path.exists()
    env.stdout.write(f"config file: {sanitize(str(settings.config_path), max_length=None)}{'' if exists else ' (none)'}\n")
    env.stdout.write(f"profile:     {sanitize(settings.profile or '(none)', max_length=80)}\n")
    for name, value, origin in rows:
        shown = "-" if value is None else sanitize(str(value), max_length=120)
        env.stdout.write(f"{name:<25} {shown:<45} {sanitize(origin, max_length=120)}\n")


def _typed(value: Any) -> Any:
    """A setting as JSON would have it: numbers, booleans and lists as themselves, paths as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list, frozenset, set)):
        return [_typed(item) for item in value]
    return str(value)


@config_app.command("path")
def config_path_command(ctx: typer.Context) -> None:
    """Where the config file is read from (INCIDENTS_CONFIG, else the XDG config directory)."""
    from incident_cli.settings import config_path

    env = o.env_of(ctx)
    env.stdout.write(f"{config_path(env.environ)}\n")
