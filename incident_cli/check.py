"""One-off connections: `incidents check` (one connection, measured: handshake, a GraphQL
ping, a small query) and one query for `incidents schema`.

A health probe for monitoring and cron makes exactly one attempt, so its exit status tells
unreachable, auth rejected and protocol mismatch apart (cli/runtime.py's table).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from incident_cli.driver.connection import Connection, open_once
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.queries import QueryRoute
from incident_cli.errors import Disconnected, Unavailable
from incident_cli.operations import Operation, active_incidents_query
from incident_cli.redact import display_url
from incident_cli.values import frozen

Ask = Callable[[Operation], Awaitable[Any]]


@frozen
class CheckResult:
    """What ``incidents check`` found: the server, its protocol and the time of each step."""

    server: str
    subprotocol: str
    handshake_ms: float  # TCP, TLS, upgrade, connection_init and ack
    ping_ms: float | None  # None on the legacy protocol: it has no ping
    query_ms: float | None
    active_incidents: int | None
    queries: str | None  # where the server answers queries: "websocket" or "http"


async def check(
    config: SessionConfig, credentials: Credentials, *, query: bool = True, clock: Callable[[], float] = time.perf_counter
) -> CheckResult:
    token = await credentials.current()
    started = clock()
    connection: Connection | None = None
    try:
        connection = await open_once(config, token, monotonic=time.monotonic)
        opened = clock()
        pinged = clock() if await connection.round_trip() else None
        total, answered, route = None, None, QueryRoute(config.http_endpoint(), ssl_context=config.ssl, proxy=config.proxy)
        if query:
            data = await route.run(active_incidents_query(page_size=1), connection.ask, connection.token)
            answered = clock()
            total = _total(data)
    except Disconnected as failure:
        raise Unavailable(f"unreachable: {failure.message}") from None
    except TimeoutError:
        raise Unavailable("the server stopped answering") from None
    finally:
        if connection is not None:
            await _close(connection)
    return CheckResult(
        server=display_url(config.url),
        subprotocol=connection.dialect.value,
        handshake_ms=(opened - started) * 1000,
        ping_ms=None if pinged is None else (pinged - opened) * 1000,
        query_ms=None if answered is None else (answered - (pinged or opened)) * 1000,
        active_incidents=total,
        queries=None if not query else ("http" if route.over_http else "websocket"),
    )


def _total(data: Any) -> int | None:
    connection = data.get("incidents") if isinstance(data, dict) else None
    info = connection.get("pageInfo") if isinstance(connection, dict) else None
    value = info.get("totalCount") if isinstance(info, dict) else None
    return value if isinstance(value, int) else None


async def _close(connection: Connection) -> None:
    if connection.ws is None:
        return
    try:
        await connection.close(1000)
    except Exception:
        pass
    await connection.abandon()


async def one_query(config: SessionConfig, credentials: Credentials, operation: Operation) -> Any:
    """One connection, one query (over the socket, or over HTTP where it refuses), closed again."""
    async with one_off(config, credentials) as ask:
        return await ask(operation)


@contextlib.asynccontextmanager
async def one_off(config: SessionConfig, credentials: Credentials) -> AsyncIterator[Ask]:
    """One connection for a few queries (``one_off_connection``): only its ``ask``."""
    async with one_off_connection(config, credentials) as (ask, _connection):
        yield ask


@contextlib.asynccontextmanager
async def one_off_connection(config: SessionConfig, credentials: Credentials) -> AsyncIterator[tuple[Ask, Connection]]:
    """One connection for a few queries (``incidents schema``, ``show``), closed again.

    A one-off: the connection is tried once, bounded by the connect timeout, and a failure
    names the server and the reason. Each query goes over the socket, or over HTTP where
    the socket refuses it.
    """
    try:
        connection = await open_once(config, await credentials.current(), monotonic=time.monotonic)
    except Disconnected as failure:
        shown = display_url(config.url)  # named once, whether or not the reason already names it
        raise Unavailable(failure.message if shown in failure.message else f"{shown}: {failure.message}") from None
    route = QueryRoute(config.http_endpoint(), ssl_context=config.ssl, proxy=config.proxy)

    async def ask(operation: Operation) -> Any:
        try:
            return await route.run(operation, connection.ask, connection.token)
        except Disconnected as failure:
            raise Unavailable(f"{display_url(config.url)} stopped answering: {failure.message}") from None

    try:
        yield ask, connection
    finally:
        await _close(connection)
