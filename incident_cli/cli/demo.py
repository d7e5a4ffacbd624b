"""`incidents demo`: the embedded incident server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from incident_cli.cli.runtime import fail, run_command
from incident_cli.errors import ConfigError, Unavailable, UsageError

from incident_cli.cli.watch import ProtocolChoice


def demo(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0 picks a free one).")] = 8080,
    rate: Annotated[float, typer.Option("--rate", min=0.0, help="Simulated changes per second.")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 7,
    token: Annotated[
        Optional[str], typer.Option("--token", help="Require this bearer token (a demo secret, not a real one).")
    ] = None,
    protocol: Annotated[
        Optional[list[ProtocolChoice]], typer.Option("--protocol", help="Subprotocols to serve (default both).")
    ] = None,
    heartbeat: Annotated[float, typer.Option("--heartbeat", min=0.05, help="Seconds between HEARTBEAT updates.")] = 5.0,
    hostile_titles: Annotated[
        bool, typer.Option("--hostile-titles", help="Give incidents titles full of escape sequences and markup.")
    ] = False,
    jwt_secret: Annotated[
        Optional[str], typer.Option("--jwt-secret", help="Require HS256 JWTs signed with this demo secret.")
    ] = None,
    token_lifetime: Annotated[float, typer.Option("--token-lifetime", min=0.5, help="Seconds minted tokens live.")] = 300.0,
    refresh_token: Annotated[
        Optional[str], typer.Option("--refresh-token", help="Serve POST /auth/refresh for this refresh token.")
    ] = None,
    refresh_port: Annotated[int, typer.Option("--refresh-port", min=0, max=65535, help="Port of /auth/refresh.")] = 0,
    enforce_expiry: Annotated[bool, typer.Option("--enforce-expiry", help="Close 4403 when a connection's token expires.")] = False,
    print_token: Annotated[bool, typer.Option("--print-token", help="Mint a token and print it (with --jwt-secret).")] = False,
    tls_cert: Annotated[Optional[Path], typer.Option("--tls-cert", help="Serve wss:// with this certificate (PEM).")] = None,
    tls_key: Annotated[Optional[Path], typer.Option("--tls-key", help="The certificate's private key (PEM).")] = None,
    schema_variant: Annotated[
        str, typer.Option("--schema-variant", help="reference, or drifted: the schema drift API.md describes.")
    ] = "reference",
    http: Annotated[
        bool, typer.Option("--http/--no-http", help="Also answer GraphQL queries at POST /graphql on the same port.")
    ] = False,
    socket_queries: Annotated[
        bool,
        typer.Option("--socket-queries/--no-socket-queries", help="Answer queries over the WebSocket (--no-socket-queries: subscriptions only, as some servers do)."),
    ] = True,
    fault: Annotated[
        Optional[list[str]], typer.Option("--fault", hidden=True, help="Fault knob key=value (tests).")
    ] = None,
) -> None:
    """Run the embedded demo incident server."""
    import ssl

    from incident_cli.demo.faults import parse_faults
    from incident_cli.demo.server import ServerOptions, run_demo

    try:
        faults = parse_faults(fault)
    except ValueError as exc:
        fail(UsageError(str(exc)))
    if schema_variant not in ("reference", "drifted"):
        fail(UsageError(f"unknown schema variant {schema_variant!r}: choose reference or drifted"))
    if (print_token or enforce_expiry or refresh_token) and not jwt_secret:
        fail(UsageError("--print-token, --enforce-expiry and --refresh-token go with --jwt-secret"))
    server_ssl = None
    if tls_cert is not None:
        server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            server_ssl.load_cert_chain(tls_cert, tls_key)
        except (OSError, ssl.SSLError) as exc:
            fail(ConfigError(f"cannot load the TLS certificate: {exc}"))
    chosen = [choice.value for choice in protocol if choice is not ProtocolChoice.auto] if protocol else []
    options = ServerOptions(
        host=host,
        port=port,
        seed=seed,
        rate=rate,
        token=token,
        protocols=tuple(chosen) or ("graphql-transport-ws", "graphql-ws"),
        heartbeat_interval=heartbeat,
        faults=faults,
        hostile_titles=hostile_titles,
        jwt_secret=jwt_secret,
        enforce_expiry=enforce_expiry,
        refresh_token=refresh_token,
        refresh_port=refresh_port,
        token_lifetime=token_lifetime,
        ssl=server_ssl,
        schema_variant=schema_variant,
        http=http,
        socket_queries=socket_queries,
    )

    def ready(server) -> None:  # type: ignore[no-untyped-def]
        sys.stderr.write(f"incidents demo: serving {server.url} (seed {seed}, {rate:g} changes/s)\n")
        if http:
            sys.stderr.write(f"incidents demo: queries at POST {server.http_url}\n")
        if server.refresh is not None:
            sys.stderr.write(f"incidents demo: token refresh at {server.refresh.url}\n")
        if print_token:
            from incident_cli.demo.auth import mint_token

            sys.stdout.write(mint_token(jwt_secret, lifetime=token_lifetime) + "\n")  # a demo secret
            sys.stdout.flush()
        sys.stderr.flush()

    async def serve(_stop) -> None:  # type: ignore[no-untyped-def]
        try:
            await run_demo(options, ready)
        except OSError as exc:
            raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    run_command(serve)
