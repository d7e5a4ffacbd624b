"""Wire codec: JSON text <-> frozen message values, for both dialects.

Only this module knows the wire ``type`` strings. The modern dialect is
graphql-transport-ws (PROTOCOL.md (a)); the legacy one is the ``graphql-ws`` subprotocol
of subscriptions-transport-ws (PROTOCOL.md (b)). Both decode into the same values, so the
protocol core is written once.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, NamedTuple

from incident_cli import jsoncodec
from incident_cli.errors import InvalidMessage
from incident_cli.values import frozen


class Dialect(str, Enum):
    TRANSPORT_WS = "graphql-transport-ws"
    LEGACY = "graphql-ws"


# Offered in this order: async-graphql honours the client's order (PROTOCOL.md (b) 3).
OFFERED_SUBPROTOCOLS = (Dialect.TRANSPORT_WS.value, Dialect.LEGACY.value)


# ---- messages in both directions -------------------------------------------------------


@frozen
class Ping:
    """A GraphQL ``ping`` (the modern protocol's keepalive)."""

    payload: Any = None


@frozen
class Pong:
    """A GraphQL ``pong``: the answer to a ping."""

    payload: Any = None


# ---- client -> server ------------------------------------------------------------------


@frozen
class ConnectionInit:
    """``connection_init``: the first message, carrying the credentials."""

    payload: dict[str, Any] | None = None


@frozen
class Subscribe:
    """``subscribe`` (legacy: ``start``): one operation and its variables."""

    id: str
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


@frozen
class Stop:
    """Client ends one operation: ``complete`` (modern) or ``stop`` (legacy)."""

    id: str


@frozen
class Terminate:
    """Legacy ``connection_terminate``; the modern dialect just closes with 1000."""


# ---- server -> client ------------------------------------------------------------------


@frozen
class ConnectionAck:
    """``connection_ack``: the server accepted the connection."""

    payload: Any = None


class Next(NamedTuple):
    """One execution result: modern ``next``, legacy ``data``. A tuple, not an @frozen value: one
    is made for nearly every frame, and a tuple is made at C speed without tricks."""

    id: str
    payload: dict[str, Any]


@frozen
class Error:
    """Terminal operation error. Legacy sends one object; it is normalised to a tuple."""

    id: str
    errors: tuple[dict[str, Any], ...]


@frozen
class Complete:
    """``complete``: the operation is over (legacy: sent by the server only)."""

    id: str


@frozen
class KeepAlive:
    """Legacy ``ka``: server liveness only."""


@frozen
class ConnectionError:
    """Legacy ``connection_error``: the server refused ``connection_init``."""

    payload: Any = None


ClientMessage = ConnectionInit | Subscribe | Stop | Ping | Pong | Terminate
ServerMessage = ConnectionAck | Next | Error | Complete | Ping | Pong | KeepAlive | ConnectionError


# ---- encoding --------------------------------------------------------------------------


def encode(message: ClientMessage, dialect: Dialect) -> str:
    """Serialise one client message for the given dialect."""
    legacy = dialect is Dialect.LEGACY
    frame: dict[str, Any]
    match message:
        case ConnectionInit(payload=payload):
            frame = {"type": "connection_init"}
            if payload is not None:
                frame["payload"] = payload
        case Subscribe():
            body: dict[str, Any] = {"query": message.query}
            if message.variables is not None:
                body["variables"] = message.variables
            if message.operation_name is not None:
                body["operationName"] = message.operation_name
            frame = {"id": message.id, "type": "start" if legacy else "subscribe", "payload": body}
        case Stop(id=op_id):
            frame = {"id": op_id, "type": "stop" if legacy else "complete"}
        case Ping(payload=payload) | Pong(payload=payload):
            if legacy:
                # PROTOCOL.md (b): the legacy dialect has no ping/pong; sending one is fatal.
                raise ValueError("the legacy graphql-ws dialect has no ping/pong")
            frame = {"type": "ping" if isinstance(message, Ping) else "pong"}
            if payload is not None:
                frame["payload"] = payload
        case Terminate():
            if not legacy:
                # PROTOCOL.md (a) 24: never send legacy messages on a modern socket.
                raise ValueError("connection_terminate exists only in the legacy dialect")
            frame = {"type": "connection_terminate"}
        case _:
            raise TypeError(f"not a client message: {message!r}")
    return json.dumps(frame, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


# ---- decoding --------------------------------------------------------------------------


def _parse(text: str | bytes) -> dict[str, Any]:
    try:
        value = jsoncodec.loads(text)
    except jsoncodec.ConstantRefused as exc:
        raise InvalidMessage(str(exc)) from None
    except UnicodeDecodeError:
        raise InvalidMessage("message is not valid UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidMessage("message is not valid JSON") from exc
    if not isinstance(value, dict):
        raise InvalidMessage("message is not a JSON object")
    return value


def _operation_id(frame: dict[str, Any], kind: str) -> str:
    op_id = frame.get("id")
    if not isinstance(op_id, str) or not op_id:
        raise InvalidMessage(f"'{kind}' message without a non-empty string id")
    return op_id


def _result_payload(frame: dict[str, Any], kind: str) -> dict[str, Any]:
    payload = frame.get("payload")
    if not isinstance(payload, dict):
        raise InvalidMessage(f"'{kind}' payload is not an object")
    return payload


def _error_list(payload: Any, *, legacy: bool) -> tuple[dict[str, Any], ...]:
    # PROTOCOL.md (a) 18: modern errors are a non-empty array; legacy sends one object.
    items = [payload] if legacy and isinstance(payload, dict) else payload
    if not isinstance(items, list) or not items:
        raise InvalidMessage("'error' payload is not a non-empty list of errors")
    if not all(isinstance(item, dict) and "message" in item for item in items):
        raise InvalidMessage("'error' payload holds an item without a message")
    return tuple(items)


def decode(text: str | bytes, dialect: Dialect) -> ServerMessage:
    """Parse one server frame; raise InvalidMessage for anything PROTOCOL.md (a) 21 forbids."""
    frame = _parse(text)
    kind = frame.get("type")
    legacy = dialect is Dialect.LEGACY
    if kind == ("data" if legacy else "next"):  # nearly every frame: checked and made in one go (issue 16)
        op_id, payload = frame.get("id"), frame.get("payload")
        if type(op_id) is str and op_id and type(payload) is dict:
            return Next(op_id, payload)  # just checked
    if not isinstance(kind, str):
        raise InvalidMessage("message without a string 'type'")
    if kind == "connection_ack":
        return ConnectionAck(payload=frame.get("payload"))
    if kind == ("data" if legacy else "next"):
        return Next(id=_operation_id(frame, kind), payload=_result_payload(frame, kind))
    if kind == "error":
        return Error(id=_operation_id(frame, kind), errors=_error_list(frame.get("payload"), legacy=legacy))
    if kind == "complete":
        return Complete(id=_operation_id(frame, kind))
    if legacy:
        if kind == "ka":
            return KeepAlive()
        if kind == "connection_error":
            return ConnectionError(payload=frame.get("payload"))
    else:
        if kind == "ping":
            return Ping(payload=frame.get("payload"))
        if kind == "pong":
            return Pong(payload=frame.get("payload"))
    raise InvalidMessage(f"unknown message type {kind[:40]!r} for {dialect.value}")
