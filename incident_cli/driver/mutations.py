"""Sending one mutation, exactly once, and saying what its answer means.

A mutation is not idempotent (a comment sent twice is two comments), so nothing here
retries. It goes over HTTP POST where the server's GraphQL endpoint answers (the socket's
TLS, proxy and token rules), and over the socket only when HTTP certainly delivered
nothing: a refused connection, no such host, or an answer that is no GraphQL endpoint's.
Everything that leaves the outcome open (a timeout, a dropped connection, a 5xx, an
INTERNAL_SERVER_ERROR) is ``Unanswered``: the caller reads the incident back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from incident_cli.auth import Token, authorization
from incident_cli.driver.http import HttpAnswer, post_json
from incident_cli.errors import AuthError, Disconnected, OperationRejected, Unanswered, Unavailable, Unreached
from incident_cli.model import error_codes, error_messages
from incident_cli.operations import Operation
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize

if TYPE_CHECKING:
    import ssl

TIMEOUT = 15.0  # seconds an action's answer may take
REFUSED = frozenset({"FORBIDDEN", "UNAUTHORIZED", "UNAUTHENTICATED"})  # the user may not: status 77
OPEN = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})  # may have happened: read back
NOT_AN_ENDPOINT = frozenset({400, 404, 405, 406, 415, 426})  # statuses that executed nothing, without GraphQL JSON
_NO_ENDPOINT: Any = object()


async def send_once(
    operation: Operation,
    *,
    http_url: str | None,
    token: Token | None,
    over_socket: Callable[[Operation], Awaitable[Any]],
    ssl_context: ssl.SSLContext | None = None,
    proxy: bool = True,
) -> Any:
    """The mutation's ``data``. Raises AuthError (the user may not), OperationRejected (the
    server refused it: nothing happened), Unanswered (it may have happened)."""
    if http_url is not None:
        body: dict[str, Any] = {"query": operation.document, "variables": operation.variables or {}}
        if operation.operation_name:
            body["operationName"] = operation.operation_name
        headers = {} if token is None else {"Authorization": authorization(token)}
        try:
            answer = await asyncio.to_thread(
                post_json, http_url, body, headers=headers, ssl_context=ssl_context, proxy=proxy, timeout=TIMEOUT
            )
        except Unreached:
            answer = None  # nothing was delivered: the socket may carry it
        except Unavailable as error:
            raise Unanswered(f"no answer from {display_url(http_url)}: {error.message}") from None
        if answer is not None:
            data = _judged(answer, operation, display_url(http_url))
            if data is not _NO_ENDPOINT:
                return data
    try:
        return await over_socket(operation)
    except OperationRejected as error:
        raise _refused(error.message, error.codes, operation) from None
    except (Disconnected, Unavailable) as error:
        raise Unanswered(f"the connection ended before {operation.label} was answered: {error.message}") from None


async def http_answers(
    http_url: str | None, *, token: Token | None, ssl_context: ssl.SSLContext | None = None, proxy: bool = True
) -> str | None:
    """``http_url`` when a GraphQL endpoint answers there (a harmless ``{ __typename }`` first:
    a server that only speaks WebSocket may hang up on a POST, and after a mutation that would
    leave its outcome open), else None: the socket carries the actions."""
    if http_url is None:
        return None
    headers = {} if token is None else {"Authorization": authorization(token)}
    try:
        answer = await asyncio.to_thread(post_json, http_url, {"query": "query Probe { __typename }"}, headers=headers,
                                         ssl_context=ssl_context, proxy=proxy, timeout=TIMEOUT)
    except Unavailable:
        return None
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    return http_url if isinstance(data, dict) and "__typename" in data else None


def _judged(answer: HttpAnswer, operation: Operation, shown: str) -> Any:
    body = answer.body if isinstance(answer.body, dict) else None
    if answer.status in (401, 403) and not (body and body.get("errors")):
        raise AuthError(f"{shown} rejected the credentials (HTTP {answer.status})")
    if body is None or not ("data" in body or "errors" in body):
        if answer.status in NOT_AN_ENDPOINT:
            return _NO_ENDPOINT  # no GraphQL endpoint there: it executed nothing
        raise Unanswered(f"{shown} answered {operation.label} with HTTP {answer.status} and no GraphQL result")
    data = body.get("data")
    if isinstance(data, dict) and data.get(operation.label) is not None:
        return data
    errors = body.get("errors")
    if answer.status >= 500 and not error_codes(errors):
        raise Unanswered(f"{shown} answered {operation.label} with HTTP {answer.status}: {_said(errors)}")
    raise _refused(_said(errors), error_codes(errors), operation)


def _refused(message: str, codes: tuple[str, ...], operation: Operation) -> Exception:
    if REFUSED & set(codes):
        return AuthError(f"the server refused {operation.label}: {message}")
    if OPEN & set(codes) or not codes and not message:
        return Unanswered(f"the server failed {operation.label} ({', '.join(codes) or 'no reason given'}): {message}")
    return OperationRejected(f"the server refused {operation.label}: {message}", codes)


def _said(errors: Any) -> str:
    return "; ".join(sanitize(message, max_length=200) for message in error_messages(errors)) or "no message"
