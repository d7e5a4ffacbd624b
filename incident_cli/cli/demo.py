"""`incidents demo`: the embedded incident server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from incident_cli.cli import options as o
from incident_cli.cli.runtime import run_command
from incident_cli.env import Env
from incident_cli.errors import ConfigError, Unavailable, UsageError

Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
Port = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")]  # -p is --profile everywhere
Rate = Annotated[float, typer.Option("--rate", min=0.0, help="Simulated changes per second.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the simulation.")]
Incidents = Annotated[int, typer.Option("--incidents", min=0, max=5000, help="Active incidents at start.")]
DemoToken = Annotated[Optional[str], typer.Option("--token", help="Require this bearer token (a demo secret, not a real one).")]
Protocols = Annotated[Optional[list[o.ProtocolChoice]], typer.Option("--protocol", help="Subprotocols to serve (default both).")]
Heartbeat = Annotated[str, typer.Option("--heartbeat", help="Time between HEARTBEAT updates: 5s, 250ms.")]
Hostile = Annotated[bool, typer.Option("--hostile-titles", help="Give incidents titles full of escape sequences and markup.")]
JwtSecret = Annotated[Optional[str], typer.Option("--jwt-secret", help="Require HS256 JWTs signed with this demo secret.")]
Lifetime = Annotated[str, typer.Option("--token-lifetime", help="How long minted tokens live: 5m, 30s.")]
RefreshToken = Annotated[Optional[str], typer.Option("--refresh-token", help="Serve POST /auth/refresh for this refresh token.")]
RefreshPort = Annotated[int, typer.Option("--refresh-port", min=0, max=65535, help="Port of /auth/refresh.")]
Enforce = Annotated[bool, typer.Option("--enforce-expiry", help="Close 4403 when a connection's token expires.")]
PrintToken = Annotated[bool, typer.Option("--print-token", help="Mint a token for --jwt-secret, print it and exit (no server).")]
TlsCert = Annotated[Optional[Path], typer.Option("--tls-cert", help="Serve wss:// with this certificate (PEM).")]
TlsKey = Annotated[Optional[Path], typer.Option("--tls-key", help="The certificate's private key (PEM).")]
Variant = Annotated[str, typer.Option("--schema-variant", help="reference, or drifted: the schema drift API.md describes.")]
Http = Annotated[bool, typer.Option("--http/--no-http", help="Also answer GraphQL queries at POST /graphql on the same port.")]
Mutations = Annotated[
    bool, typer.Option("--mutations/--no-mutations", help="Serve the mutations of API.md (ack, assign, resolve...).")
]
ForbidActions = Annotated[
    bool, typer.Option("--forbid-actions", help="Refuse every mutation with FORBIDDEN (a user who may not act).")
]
SocketQueries = Annotated[
    bool, typer.Option("--socket-queries/--no-socket-queries",
                       help="Answer queries over the WebSocket (--no-socket-queries: subscriptions only, as some servers do).")
]
Fault = Annotated[Optional[list[str]], typer.Option("--fault", hidden=True, help="Fault knob key=value (tests).")]


def demo(
    ctx: typer.Context, host: Host = "127.0.0.1", port: Port = 8080, rate: Rate = 5.0, seed: Seed = 7, token: DemoToken = None,
    protocol: Protocols = None, heartbeat: Heartbeat = "5s", hostile_titles: Hostile = False, jwt_secret: JwtSecret = None,
    token_lifetime: Lifetime = "5m", refresh_token: RefreshToken = None, refresh_port: RefreshPort = 0,
    enforce_expiry: Enforce = False, print_token: PrintToken = False, tls_cert: TlsCert = None, tls_key: TlsKey = None,
    schema_variant: Variant = "reference", http: Http = False, socket_queries: SocketQueries = True, fault: Fault = None,
    incidents: Incidents = 6, mutations: Mutations = True, forbid_actions: ForbidActions = False,
) -> None:
    """Run the embedded demo incident server."""
    given = dict(locals())
    env = o.env_of(ctx)
    run_command(env, lambda _stop: serve(env, given))


def _at_least(text: Any, option: str, least: float) -> float:
    """A duration option (``250ms``, ``5s``, ``5m``; a plain number is seconds), with a floor."""
    from incident_cli.durations import parse_duration

    seconds = parse_duration(str(text), option=option)
    if seconds < least:
        raise UsageError(f"{option} must be at least {least:g} s")
    return seconds


def server_options(given: dict[str, Any]) -> Any:
    """The demo's ServerOptions from the command line; a bad combination is a usage error."""
    import ssl

    from incident_cli.demo.faults import parse_faults
    from incident_cli.demo.server import ServerOptions

    try:
        faults = parse_faults(given["fault"])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if given["schema_variant"] not in ("reference", "drifted"):
        raise UsageError(f"unknown schema variant {given['schema_variant']!r}: choose reference or drifted")
    if (given["print_token"] or given["enforce_expiry"] or given["refresh_token"]) and not given["jwt_secret"]:
        raise UsageError("--print-token, --enforce-expiry and --refresh-token go with --jwt-secret")
    server_ssl = None
    if given["tls_cert"] is not None:
        server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            server_ssl.load_cert_chain(given["tls_cert"], given["tls_key"])
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load the TLS certificate: {exc}") from None
    chosen = [o.ProtocolChoice(c).value for c in given["protocol"] or () if o.ProtocolChoice(c) is not o.ProtocolChoice.auto]
    same = ("host", "port", "seed", "rate", "token", "hostile_titles", "jwt_secret", "enforce_expiry", "refresh_token",
            "refresh_port", "schema_variant", "http", "socket_queries", "mutations", "forbid_actions")
    return ServerOptions(**{key: given[key] for key in same}, protocols=tuple(chosen) or ("graphql-transport-ws", "graphql-ws"),
                         heartbeat_interval=_at_least(given["heartbeat"], "--heartbeat", 0.05), faults=faults, ssl=server_ssl,
                         token_lifetime=_at_least(given["token_lifetime"], "--token-lifetime", 0.5),
                         initial_incidents=given.get("incidents", 6))


async def serve(env: Env, given: dict[str, Any]) -> None:
    from incident_cli.demo.server import run_demo

    options = server_options(given)
    if given["print_token"]:  # a token for a demo started with the same secret: print it, serve nothing
        from incident_cli.demo.auth import mint_token

        env.stdout.write(mint_token(given["jwt_secret"], lifetime=options.token_lifetime) + "\n")  # a demo secret
        return

    def ready(server: Any) -> None:
        env.say(f"incidents demo: serving {server.url} (seed {options.seed}, {options.rate:g} changes/s)")
        if options.http:
            env.say(f"incidents demo: queries at POST {server.http_url}")
        if server.refresh is not None:
            env.say(f"incidents demo: token refresh at {server.refresh.url}")

    try:
        await run_demo(options, ready)
    except OSError as exc:
        raise Unavailable(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None
