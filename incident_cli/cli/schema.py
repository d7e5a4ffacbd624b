"""`incidents schema`: what the server offers for incidents, and how it differs from the reference."""

from __future__ import annotations

import json
from typing import Any

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env
from incident_cli.errors import ProtocolMismatch


def schema(
    ctx: typer.Context, url: o.Url = None, profile: o.Profile = None, token_file: o.TokenFile = None, ca_file: o.CaFile = None,
    as_json: o.Json = False,
) -> None:
    """Show the server's incident subscriptions, queries and enums, and where they differ from the reference API."""
    env = o.env_of(ctx)
    flags = {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
    run_command(env, lambda _stop: show(env, flags, as_json))


async def show(env: Env, flags: dict[str, Any], as_json: bool) -> None:
    from incident_cli import schema as schema_module
    from incident_cli.check import one_query
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.credentials import make_credentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.operations import Operation
    from incident_cli.watch_plan import plaintext_warning

    settings = load_settings(environ=env.environ, flags=flags)
    plaintext_warning(settings)
    config = SessionConfig.from_settings(settings, max_size=16 * 1024 * 1024)  # a big schema is still one message
    introspection = Operation(label="introspection", document=schema_module.INTROSPECTION, operation_name="IncidentsSchema")
    data = await one_query(config, make_credentials(settings, config.ssl), introspection)
    try:
        view = schema_module.SchemaView.parse(data)
    except ValueError:
        raise ProtocolMismatch("the server's introspection answer is not a schema") from None
    report = _report(view, schema_module.differences(view))
    if as_json:
        env.stdout.write(json.dumps(report, ensure_ascii=True, sort_keys=True) + "\n")
    else:
        env.stdout.write(_text(report, settings.url))


def _report(view: Any, differences: list[str]) -> dict[str, Any]:
    def signature(fields: dict[str, Any]) -> dict[str, dict[str, str]]:
        return {name: {arg: ref.render() for arg, ref in field.args.items()} for name, field in sorted(fields.items())}

    interesting = ("Severity", "IncidentState", "IncidentType", "IncidentUpdateType")
    return {
        "subscriptions": signature(view.subscriptions),
        "queries": {k: v for k, v in signature(view.queries).items() if "ncident" in k or k == "alerts"},
        "enums": {name: list(view.enums[name]) for name in interesting if name in view.enums},
        "differences": differences,
    }


def _text(report: dict[str, Any], url: str) -> str:
    from incident_cli.redact import display_url
    from incident_cli.sanitize import sanitize

    def call(name: str, args: dict[str, str]) -> str:
        inner = ", ".join(f"{arg}: {kind}" for arg, kind in args.items())
        return sanitize(f"{name}({inner})" if inner else name, max_length=300)

    lines = [f"server {display_url(url)}", "subscriptions:"]
    lines += [f"  {call(name, args)}" for name, args in report["subscriptions"].items()]
    lines.append("queries:")
    lines += [f"  {call(name, args)}" for name, args in report["queries"].items()]
    lines.append("enums:")
    lines += [f"  {name:<18} {sanitize(' '.join(values), max_length=300)}" for name, values in report["enums"].items()]
    if report["differences"]:
        lines.append("differences from the reference API:")
        lines += [f"  - {sanitize(line, max_length=300)}" for line in report["differences"]]
    else:
        lines.append("no differences from the reference API")
    return "\n".join(lines) + "\n"
