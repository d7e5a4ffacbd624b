"""One client's socket on the demo server: the server side of graphql-transport-ws and legacy graphql-ws.

The close codes and messages are the reference servers' (PROTOCOL.md): 4408 when the init
is late, 4429 for a second init, 4401 for subscribe before the ack, 4403 for a bad token,
4409 for a duplicate id, 4400 for an invalid message, 4500 for a syntax error, ``error``
messages for validation errors; the fault knobs of ``faults.py`` act here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Sequence
from inspect import isawaitable
from typing import Any, Protocol

from graphql import ExecutionResult, GraphQLError, execute, parse, subscribe, validate
from graphql.language import OperationDefinitionNode, OperationType
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from incident_cli.demo.faults import Faults


class Host(Protocol):
    """What a peer needs of the server that accepted it (server.py's DemoServer): a small
    context, never the server's own code."""

    schema: Any
    options: Any  # ServerOptions: enforce_expiry, seed, socket_queries
    mutations: list[str]  # applied so far, for tests
    received: deque[dict[str, Any]]  # client messages, for tests
    expired: int

    def authorised(self, payload: Any, header: str | None) -> tuple[bool, float | None]: ...

    def actor(self, payload: Any, header: str | None) -> str: ...

MODERN = "graphql-transport-ws"
LEGACY = "graphql-ws"
KEEPALIVE_INTERVAL = 10.0  # legacy `ka` period
SOCKET_QUERIES_REFUSED = "queries are not allowed over this connection; use POST /graphql"


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Peer:
    """One client socket: the server side of either dialect."""

    def __init__(self, server: Host, ws: ServerConnection, faults: Faults) -> None:
        self.server = server
        self.ws = ws
        self.faults = faults
        self.legacy = ws.subprotocol == LEGACY
        self.init_received = False
        self.acknowledged = False
        self.actor = "anonymous"  # who this connection's mutations act as (set at connection_init)
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.sent = 0  # operation messages sent, for the fault counters
        self.silent = False
        self.awaiting_pong = False
        self.helpers: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        try:
            try:
                first = await asyncio.wait_for(self.ws.recv(), self.faults.init_timeout)
            except TimeoutError:
                raise _Close(4408, "Connection initialisation timeout") from None
            await self.receive(first)
            async for frame in self.ws:
                await self.receive(frame)
        except _Close as close:
            await self.ws.close(close.code, close.reason)
        except ConnectionClosed:
            pass

    async def cancel_operations(self) -> None:
        tasks = [*self.operations.values(), *self.helpers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.operations.clear()

    # ---- input -------------------------------------------------------------------------

    async def receive(self, frame: str | bytes) -> None:
        if self.silent:
            return
        try:
            message = json.loads(frame)
        except ValueError:
            raise _Close(4400, "Invalid message received") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise _Close(4400, "Invalid message received")
        self.server.received.append(message)
        kind = message["type"]
        if kind == "connection_init":
            await self.on_init(message.get("payload"))
        elif kind in ("ping", "pong") and not self.legacy:
            self.awaiting_pong = self.awaiting_pong and kind != "pong"
            if kind == "ping":
                await self.send({"type": "pong", **({"payload": message["payload"]} if "payload" in message else {})})
        elif kind == ("start" if self.legacy else "subscribe"):
            await self.on_subscribe(message)
        elif kind == ("stop" if self.legacy else "complete"):
            await self.on_stop(message.get("id"))
        elif kind == "connection_terminate" and self.legacy:
            raise _Close(1000, "")
        else:
            raise _Close(4400, f"Invalid message received: unknown type {kind[:30]}")

    async def on_init(self, payload: Any) -> None:
        if self.init_received:
            raise _Close(4429, "Too many initialisation requests")
        self.init_received = True
        if payload is not None and not isinstance(payload, dict):
            raise _Close(4400, "Invalid message received")
        header = self.ws.request.headers.get("Authorization") if self.ws.request else None
        allowed, expires = self.server.authorised(payload, header)
        self.actor = self.server.actor(payload, header)
        if not allowed:
            if self.legacy:
                await self.send({"type": "connection_error", "payload": {"message": "Forbidden"}})
                raise _Close(1011, "Forbidden")
            raise _Close(4403, "Forbidden")
        if self.faults.skip_ack:
            return
        if self.faults.ack_delay:
            await asyncio.sleep(self.faults.ack_delay)
        self.acknowledged = True
        if expires is not None and self.server.options.enforce_expiry:
            self.helpers.append(asyncio.create_task(self.expire_at(expires)))
        await self.send({"type": "connection_ack", "payload": {"server": "incidents-demo", "seed": self.server.options.seed}})
        if self.legacy:
            await self.send({"type": "ka"})
            self.helpers.append(asyncio.create_task(self.keepalive()))
        elif self.faults.ping_interval:
            self.helpers.append(asyncio.create_task(self.pinger(self.faults.ping_interval)))

    async def on_subscribe(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            raise _Close(4400, "Invalid message received")
        if not self.acknowledged:
            if not self.legacy:
                raise _Close(4401, "Unauthorized")
            return
        if op_id in self.operations:
            if not self.legacy:
                raise _Close(4409, f"Subscriber for {op_id[:40]} already exists")
            await self.on_stop(op_id)
        query, variables = payload.get("query"), payload.get("variables")
        if not isinstance(query, str) or (variables is not None and not isinstance(variables, dict)):
            raise _Close(4400, "Invalid message received")
        try:
            document = parse(query)
        except GraphQLError as exc:
            if not self.legacy:
                raise _Close(4500, exc.message[:120]) from None  # graphql-ws closes the socket
            await self.send_error(op_id, [exc])
            return
        kind = _operation_type(document, payload.get("operationName"))
        if not self.server.options.socket_queries and kind is not OperationType.SUBSCRIPTION:
            # Strawberry's legacy dialect, among others: subscriptions only; queries go over HTTP.
            await self.send_error(op_id, [GraphQLError(SOCKET_QUERIES_REFUSED)])
            return
        errors = validate(self.server.schema, document)
        if errors:
            await self.send_error(op_id, errors)
            return
        self.operations[op_id] = asyncio.create_task(
            self.run_operation(op_id, document, variables, payload.get("operationName"))
        )

    async def on_stop(self, op_id: Any) -> None:
        task = self.operations.pop(op_id, None) if isinstance(op_id, str) else None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if self.legacy:
                await self.send({"id": op_id, "type": "complete"})

    # ---- operations --------------------------------------------------------------------

    async def run_operation(self, op_id: str, document: Any, variables: Any, operation_name: Any) -> None:
        schema = self.server.schema
        try:
            if _operation_type(document, operation_name) is OperationType.SUBSCRIPTION:
                outcome = subscribe(schema, document, variable_values=variables, operation_name=operation_name)
                if isawaitable(outcome):
                    outcome = await outcome
                if isinstance(outcome, ExecutionResult):
                    await self.send_error(op_id, outcome.errors or [GraphQLError("subscription failed")])
                    return
                try:
                    async for result in outcome:
                        await self.send_result(op_id, result)
                finally:
                    close = getattr(outcome, "aclose", None)  # graphql-core hands an async generator
                    if close is not None:
                        with contextlib.suppress(Exception):
                            await close()
            else:
                if self.faults.query_delay and "__schema" not in str(document.loc.source.body if document.loc else ""):
                    await asyncio.sleep(self.faults.query_delay)  # the schema answers at once: a slow list
                before = len(self.server.mutations)
                executed = execute(schema, document, variable_values=variables, operation_name=operation_name,
                                   context_value={"actor": self.actor, "fail": self.faults.mutation_fault == "fail"})
                result = await executed if isawaitable(executed) else executed
                if len(self.server.mutations) > before and self.faults.mutation_fault == "drop":
                    await self.ws.close(1011, "internal error")  # applied; the connection drops before the answer
                    return
                if len(self.server.mutations) > before and self.faults.mutation_fault == "error":
                    result = ExecutionResult(data=None, errors=[GraphQLError(
                        "internal error", extensions={"code": "INTERNAL_SERVER_ERROR"})])
                if result.data is None and result.errors:
                    await self.send_error(op_id, result.errors)
                    return
                await self.send_result(op_id, result)
            await self.send({"id": op_id, "type": "complete"}, counted=True)
        except (ConnectionClosed, _Close):
            pass
        finally:
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]

    async def send_result(self, op_id: str, result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        await self.send({"id": op_id, "type": "data" if self.legacy else "next", "payload": payload}, counted=True)

    async def send_error(self, op_id: str, errors: Sequence[GraphQLError]) -> None:
        formatted = [error.formatted for error in errors]
        payload: Any = formatted[0] if self.legacy else formatted
        self.operations.pop(op_id, None)
        await self.send({"id": op_id, "type": "error", "payload": payload}, counted=True)

    # ---- output and faults -------------------------------------------------------------

    async def send(self, message: dict[str, Any], *, counted: bool = False) -> None:
        if self.silent:
            return
        await self.ws.send(json.dumps(message))
        if not counted:
            return
        self.sent += 1
        faults = self.faults
        if faults.garbage_after is not None and self.sent == faults.garbage_after:
            await self.ws.send(faults.garbage)
        if faults.binary_after is not None and self.sent == faults.binary_after:
            await self.ws.send(b'{"type":"ping"}')
        if faults.silent_after is not None and self.sent >= faults.silent_after:
            self.silent = True
        if faults.close_after is not None and self.sent >= faults.close_after:
            if faults.close_code == 1006:
                self.ws.transport.abort()  # an abrupt drop: no close frame at all
            else:
                await self.ws.close(faults.close_code, faults.close_reason)
            raise ConnectionClosed(None, None)

    async def expire_at(self, expires: float) -> None:
        """A strict server: the connection ends when its token does."""
        await asyncio.sleep(max(0.0, expires - time.time()))
        self.server.expired += 1
        await self.ws.close(4403, "Forbidden: token expired")

    async def keepalive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_INTERVAL)
            await self.send({"type": "ka"})

    async def pinger(self, interval: float) -> None:
        """Like graphql-ws's --ping-ms: a ping still unanswered when the next is due ends the socket."""
        count = 0
        while True:
            await asyncio.sleep(interval)
            if self.awaiting_pong:
                self.ws.transport.abort()
                return
            count += 1
            self.awaiting_pong = True
            await self.send({"type": "ping", "payload": {"n": count}})


INTERNAL_ERROR = {"message": "internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}


async def execute_query(
    schema: Any, query: str, variables: Any, operation_name: Any, context: dict[str, Any] | None = None
) -> ExecutionResult:
    """One query or mutation, as an HTTP endpoint runs it: parse, validate, execute."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return ExecutionResult(data=None, errors=[error])
    errors = validate(schema, document)
    if errors:
        return ExecutionResult(data=None, errors=errors)
    if _operation_type(document, operation_name) is OperationType.SUBSCRIPTION:
        return ExecutionResult(data=None, errors=[GraphQLError("subscriptions need the WebSocket endpoint")])
    result = execute(schema, document, variable_values=variables, operation_name=operation_name, context_value=context)
    return await result if isawaitable(result) else result


def _operation_type(document: Any, operation_name: str | None) -> OperationType:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for definition in operations:
        if operation_name is None or (definition.name and definition.name.value == operation_name):
            return definition.operation
    return OperationType.QUERY
