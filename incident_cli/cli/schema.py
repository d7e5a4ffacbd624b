"""`incidents schema`: what the server offers for incidents, and how it differs from the reference."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from incident_cli.cli.runtime import fail, run_command
from incident_cli.errors import IncidentsError, ProtocolMismatch


def schema(
    url: Annotated[Optional[str], typer.Option("--url", "-u", help="Server WebSocket URL [env: INCIDENTS_URL].")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Profile from the config file.")] = None,
    token_file: Annotated[Optional[Path], typer.Option("--token-file", help="Read the bearer token from this file.")] = None,
    ca_file: Annotated[Optional[Path], typer.Option("--ca-file", help="Also trust this CA (PEM) for wss://.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the server's incident subscriptions, queries and enums, and where they differ from the reference API."""
    from incident_cli import compose

    try:
        settings, ssl_context, credentials = compose.one_off(
            {"url": url, "profile": profile, "token_file": token_file, "ca_file": ca_file}
        )
    except IncidentsError as error:
        fail(error)

    async def show(_stop) -> None:  # type: ignore[no-untyped-def]
        from incident_cli import schema as schema_module
        from incident_cli.operations import Operation

        config = compose.session_config(settings, settings.url, compose.Tuning(ping_interval=15, ping_timeout=10, max_size=16 * 1024 * 1024), ssl_context)
        introspection = Operation(label="introspection", document=schema_module.INTROSPECTION, operation_name="IncidentsSchema")
        data = await one_query(config, credentials, introspection)
        try:
            view = schema_module.SchemaView.parse(data)
        except ValueError:
            raise ProtocolMismatch("the server's introspection answer is not a schema") from None
        report = _report(view, schema_module.differences(view))
        if as_json:
            sys.stdout.write(json.dumps(report, ensure_ascii=True, sort_keys=True) + "\n")
        else:
            sys.stdout.write(_text(report, settings.url))

    run_command(show)


async def one_query(config: Any, credentials: Any, operation: Any) -> Any:
    """One connection, one query (over the socket, or over HTTP where it refuses), closed again.

    A one-off: the connection is tried once, bounded by the connect timeout, and a failure
    names the server and the reason.
    """
    import time

    from incident_cli.driver.connection import open_once
    from incident_cli.errors import Disconnected, Unavailable
    from incident_cli.driver.queries import QueryRoute
    from incident_cli.redact import display_url

    try:
        connection = await open_once(config, await credentials.current(), monotonic=time.monotonic)
    except Disconnected as failure:
        shown = display_url(config.url)  # named once, whether or not the reason already names it
        raise Unavailable(failure.message if shown in failure.message else f"{shown}: {failure.message}") from None
    try:
        route = QueryRoute(config.http_endpoint(), ssl_context=config.ssl, proxy=config.proxy)
        return await route.run(operation, connection.ask, connection.token)
    except Disconnected as failure:
        raise Unavailable(f"{display_url(config.url)} stopped answering: {failure.message}") from None
    finally:
        await connection.close(1000)
        await connection.abandon()


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
