"""The embedded incident server: the schema of API.md over graphql-transport-ws and legacy graphql-ws.

This module listens, picks the dialect, checks tokens and runs the simulator; each
client's socket is a ``Peer`` (peer.py), which behaves as the reference servers do
(PROTOCOL.md). It never imports the client layers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from graphql import GraphQLSchema
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from incident_cli.demo.auth import RefreshEndpoint, bearer, verify_token
from incident_cli.demo.faults import Faults
from incident_cli.demo.front import FrontDoor
from incident_cli.demo.peer import INTERNAL_ERROR, LEGACY, MODERN, Peer, execute_query
from incident_cli.demo.schema import executable_schema
from incident_cli.demo.simulator import Hub, Simulator

PATH = "/graphql/ws"
HTTP_PATH = "/graphql"

logger = logging.getLogger("incidents.demo")


@dataclass
class ServerOptions:
    """How the demo server runs: where, what it simulates, how fast, and its faults."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    rate: float = 5.0  # simulator actions per second
    token: str | None = None  # require "Bearer <token>"
    protocols: Sequence[str] = (MODERN, LEGACY)
    heartbeat_interval: float = 5.0
    initial_incidents: int = 6
    faults: Faults = field(default_factory=Faults)
    hostile_titles: bool = False
    jwt_secret: str | None = None  # require HS256 JWTs signed with this (instead of --token)
    enforce_expiry: bool = False  # close 4403 when a connection's token expires
    refresh_token: str | None = None  # serve POST /auth/refresh for this refresh token
    refresh_port: int = 0
    token_lifetime: float = 300.0  # of tokens the refresh endpoint issues
    ssl: Any = None  # an ssl.SSLContext: serve wss://
    schema_variant: str = "reference"  # or "drifted": the shapes API.md lists under schema drift
    http: bool = False  # also answer POST /graphql on the same port (front.py)
    socket_queries: bool = True  # False: refuse queries over the socket, as Strawberry's legacy dialect does
    mutations: bool = True  # False: a server without the mutations of API.md
    forbid_actions: bool = False  # every mutation is refused with FORBIDDEN (a user who may not act)


HOSTILE_TITLES = (
    "[bold red]markup[/] \x1b[31mred\x1b[0m",
    "\x1b]0;pwned title\x07 window title",
    "\x1b]52;c;ZXZpbA==\x07 clipboard",
    "[link=https://evil.example]runbook[/link] \u202eevil\u202c",
    "bell\x07 back\x08space \x9b31m c1 \ud800 lone",
)


class DemoServer:
    """Start with ``await start()``; ``url`` tells where it listens; ``await stop()`` ends it."""

    def __init__(self, options: ServerOptions | None = None) -> None:
        self.options = options or ServerOptions()
        title_hook = None
        if self.options.hostile_titles:
            title_hook = lambda n: HOSTILE_TITLES[n % len(HOSTILE_TITLES)]  # noqa: E731
        self.hub = Hub()
        self.simulator = Simulator(
            self.hub, seed=self.options.seed, initial=self.options.initial_incidents, title_hook=title_hook
        )
        self.mutations: list[str] = []  # mutations that changed the store, in order (tests count them)
        self.schema: GraphQLSchema = executable_schema(
            self.simulator, self.options.schema_variant, mutations=self.options.mutations,
            forbidden=self.options.forbid_actions, applied=self.mutations.append,
        )
        self.connections = 0
        self.close_codes: deque[int | None] = deque(maxlen=10_000)  # how client connections ended, for tests
        self.expired = 0  # connections closed because their token expired
        self.restarts = 0  # worlds replaced by restart("new")
        self.http_queries = 0  # queries answered over HTTP
        self.received: deque[dict[str, Any]] = deque(maxlen=10_000)  # recent client messages, for tests
        self._server: Server | None = None
        self.front: FrontDoor | None = None
        self.refresh: RefreshEndpoint | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        if self.front is not None:
            return self.front.port
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "wss" if self.options.ssl is not None else "ws"
        return f"{scheme}://{self.options.host}:{self.port}{PATH}"

    @property
    def http_url(self) -> str:
        scheme = "https" if self.options.ssl is not None else "http"
        return f"{scheme}://{self.options.host}:{self.port}{HTTP_PATH}"

    async def start(self) -> DemoServer:
        options = self.options
        self.loop = asyncio.get_running_loop()  # where restart() runs, for a caller in another thread
        # With HTTP queries, the front door owns the public port (and TLS); the WebSocket
        # server listens privately behind it.
        self._server = await serve(
            self._handle,
            "127.0.0.1" if options.http else options.host,
            0 if options.http else options.port,
            subprotocols=[Subprotocol(name) for name in self.options.protocols],
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            ping_interval=20,
            ping_timeout=20,
            max_size=1024 * 1024,
            ssl=None if options.http else options.ssl,
        )
        if options.http:
            upstream = int(self._server.sockets[0].getsockname()[1])
            self.front = await FrontDoor(
                options.host, options.port, upstream_port=upstream, answer=self.answer_http, ssl_context=options.ssl
            ).start()
        if options.refresh_token and options.jwt_secret:
            self.refresh = await RefreshEndpoint(
                options.host, options.refresh_port, secret=options.jwt_secret,
                refresh_token=options.refresh_token, lifetime=options.token_lifetime,
            ).start()
        self._tasks = [
            asyncio.create_task(self.simulator.run(self.options.rate)),
            asyncio.create_task(self.simulator.heartbeats(self.options.heartbeat_interval)),
        ]
        faults = options.faults
        if faults.restart_after is not None:
            self._tasks.append(asyncio.create_task(self._restart_later(faults.restart_after, faults.restart_world)))
        return self

    async def restart(self, world: str = "same") -> None:
        """As a deploy does: the world changed first (``world``: "same", "new" for another seed
        whose incidents are all different, "resolve" for half the active ones resolved unheard),
        then every connection closed with 1012. Clients reconnect to the changed world."""
        if world == "new":
            self.restarts += 1
            self.simulator.new_world(self.options.seed + 1000 * self.restarts)
        elif world == "resolve":
            self.simulator.resolve_quietly()
        elif world != "same":
            raise ValueError(f"unknown world {world!r}: same, new or resolve")
        assert self._server is not None
        for connection in list(self._server.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(1012, "service restart"), 2)

    async def _restart_later(self, delay: float, world: str) -> None:
        await asyncio.sleep(delay)
        await self.restart(world)

    async def stop(self, code: int = 1001) -> None:
        if self.refresh is not None:
            await self.refresh.stop()
        if self.front is not None:
            await self.front.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close(close_connections=False)
            for connection in list(self._server.connections):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(code, "server shutting down"), 2)
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    # ---- handshake ---------------------------------------------------------------------

    def _select_subprotocol(self, _connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        # Like graphql-ws use/ws: the modern protocol whenever it is offered, in any order.
        for candidate in (MODERN, LEGACY):
            if candidate in offered and candidate in self.options.protocols:
                return Subprotocol(candidate)
        return None

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?")[0] != PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"no endpoint at {request.path}; use {PATH}\n")
        return None

    # ---- connections -------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        faults = self.options.faults.active_for(self.connections)
        if ws.subprotocol is None:
            await ws.close(4406, "Subprotocol not acceptable")
            self.close_codes.append(4406)
            return
        connection = Peer(self, ws, faults)
        try:
            await connection.run()
        finally:
            await connection.cancel_operations()
            self.close_codes.append(ws.close_code)
            self.closed.set()

    async def answer_http(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[str, Any]:
        """``POST /graphql`` (GraphQL over HTTP): queries and mutations, with the socket's auth."""
        if path != HTTP_PATH:
            return "404 Not Found", {"errors": [{"message": f"no endpoint at {path[:60]}; use {HTTP_PATH}"}]}
        if method != "POST":
            return "405 Method Not Allowed", {"errors": [{"message": "use POST"}]}
        allowed, _ = self.authorised(None, headers.get("authorization"))
        if not allowed:
            return "401 Unauthorized", {"errors": [{"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}]}
        try:
            request = json.loads(body)
            query, variables = request["query"], request.get("variables")
            if not isinstance(query, str) or (variables is not None and not isinstance(variables, dict)):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return "400 Bad Request", {"errors": [{"message": "expected JSON with a query string"}]}
        before = len(self.mutations)
        context = {"actor": self.actor(None, headers.get("authorization")), "fail": self.options.faults.mutation_fault == "fail"}
        result = await execute_query(self.schema, query, variables, request.get("operationName"), context)
        self.http_queries += 1
        if len(self.mutations) > before and self.options.faults.mutation_fault == "drop":
            raise ConnectionResetError("applied, then the connection dropped (--fault mutation_fault=drop)")
        if len(self.mutations) > before and self.options.faults.mutation_fault == "error":
            return "500 Internal Server Error", {"data": None, "errors": [INTERNAL_ERROR]}
        if result.data is None and result.errors:
            return "400 Bad Request", {"errors": [error.formatted for error in result.errors]}
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return "200 OK", answer

    def actor(self, payload: Any, header: str | None) -> str:
        """Who a request acts as (a mutation's actor): the JWT's email, preferred_username or
        sub; "demo" for the static --token; "anonymous" on an open server."""
        if self.options.jwt_secret is not None:
            for value in (payload.get("Authorization") if isinstance(payload, dict) else None, header):
                token = bearer(value)
                claims = verify_token(self.options.jwt_secret, token) if token else None
                if claims is not None:
                    return str(claims.get("email") or claims.get("preferred_username") or claims.get("sub"))
        return "demo" if self.options.token else "anonymous"

    def authorised(self, payload: Any, header: str | None) -> tuple[bool, float | None]:
        """Whether the init payload or the upgrade header carries a valid token, and its expiry."""
        offered = [payload.get("Authorization") if isinstance(payload, dict) else None, header]
        if self.options.jwt_secret is not None:
            for value in offered:
                token = bearer(value)
                claims = verify_token(self.options.jwt_secret, token) if token else None
                if claims is not None:
                    return True, claims.get("exp")
            return False, None
        if self.options.token is None:
            return True, None
        return f"Bearer {self.options.token}" in offered, None


async def run_demo(options: ServerOptions, ready: Any = None) -> None:
    """Serve until cancelled (the ``incidents demo`` command)."""
    server = await DemoServer(options).start()
    if ready is not None:
        ready(server)
    try:
        await server.serve_forever()
    finally:
        await server.stop()
