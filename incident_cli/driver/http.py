"""GraphQL queries over HTTP (``POST /graphql``), and the one way this tool makes an HTTP request.

The integration guide's clients send queries over HTTP and only subscriptions over the
WebSocket, and some servers refuse queries on the socket. A query sent here follows the
socket's rules: the same host and TLS settings, the same token, a proxy only where the
socket would use one, and redirects only within the origin, so a token never follows a
redirect elsewhere and https never becomes http (RELIABILITY.md (c)). The token refresh
endpoint is called through the same function.

Standard library only: these are occasional lookups, not the hot path; urllib brings
proxies (and ``no_proxy``), TLS contexts and redirect handling, and runs in a thread so
the event loop never waits on a socket read. Imported only when a request is made.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import Message
from typing import IO, Any
from urllib.parse import urlsplit

from incident_cli import __version__
from incident_cli.auth import Token, authorization
from incident_cli.errors import AuthError, OperationRejected, Unavailable, Unreached
from incident_cli.model import error_codes, error_messages
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize
from incident_cli.urls import is_loopback
from incident_cli.values import frozen

TIMEOUT = 5.0
MAX_ANSWER = 16 * 1024 * 1024
MAX_REDIRECTS = 5


@frozen
class HttpAnswer:
    """An HTTP response: its status and parsed body."""

    status: int
    body: Any  # the parsed JSON, or None when the answer was not JSON


def post_json(
    url: str,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    proxy: bool = True,
    timeout: float = TIMEOUT,
) -> HttpAnswer:
    """POST ``body`` as JSON and read a JSON answer (blocking: call it in a thread).

    Raises Unavailable when no answer arrives; HTTP error statuses are answers too.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json, application/json",
            "User-Agent": f"incidents/{__version__}",
            **(headers or {}),
        },
    )
    handlers: list[Any] = [_SameOriginRedirects(), urllib.request.HTTPSHandler(context=ssl_context)]
    if not proxy or is_loopback(url):
        handlers.append(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy
    opener = urllib.request.build_opener(*handlers)
    shown = display_url(url)
    try:
        with opener.open(request, timeout=timeout) as response:
            return HttpAnswer(status=response.status, body=_json(response.read(MAX_ANSWER + 1)))
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(status=error.code, body=_json(error.read(MAX_ANSWER + 1)))
    except _RedirectRefused as refused:
        raise Unavailable(f"{shown} redirected to another origin ({refused.target}); not following") from None
    except ssl.SSLCertVerificationError as error:
        raise Unavailable(f"TLS certificate verification failed for {shown}: {error.verify_message}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", None) or error
        text = getattr(reason, "strerror", None) or str(reason)
        if isinstance(reason, ConnectionRefusedError | socket.gaierror):
            raise Unreached(f"cannot reach {shown}: {sanitize(text, max_length=120)}") from None
        raise Unavailable(f"cannot reach {shown}: {sanitize(text, max_length=120)}") from None


def _json(raw: bytes) -> Any:
    if len(raw) > MAX_ANSWER:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class _RedirectRefused(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect within the origin, keeping the POST and its body (a GraphQL
    endpoint moved to ``/graphql/``); refuse any other, so credentials stay where they were sent."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            raise _RedirectRefused(display_url(newurl))
        return urllib.request.Request(
            newurl, data=req.data, method=req.get_method(), headers=dict(req.header_items()), origin_req_host=req.origin_req_host
        )


class HttpQueries:
    """Queries over HTTP for one server: the socket's URL, TLS context, proxy rule and token."""

    def __init__(
        self, url: str, *, ssl_context: ssl.SSLContext | None = None, proxy: bool = True, timeout: float = TIMEOUT
    ) -> None:
        self.url = url
        self.shown = display_url(url)
        self._ssl = ssl_context
        self._proxy = proxy
        self._timeout = timeout

    async def query(
        self, document: str, variables: dict[str, Any] | None, operation_name: str | None, token: Token | None
    ) -> Any:
        """The ``data`` of one query; OperationRejected when the server answers with errors only."""
        body: dict[str, Any] = {"query": document}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        headers = {} if token is None else {"Authorization": authorization(token)}
        answer = await asyncio.to_thread(
            post_json, self.url, body, headers=headers, ssl_context=self._ssl, proxy=self._proxy, timeout=self._timeout
        )
        return graphql_data(answer, self.shown)


def graphql_data(answer: HttpAnswer, shown: str) -> Any:
    """What a GraphQL-over-HTTP answer means: data, a rejected operation, or no endpoint."""
    body = answer.body if isinstance(answer.body, dict) else {}
    errors = body.get("errors")
    if answer.status in (401, 403):
        raise AuthError(f"{shown} rejected the credentials (HTTP {answer.status})")
    if "data" in body and body["data"] is not None:
        return body["data"]
    if errors:
        raise OperationRejected("; ".join(sanitize(message) for message in error_messages(errors)), error_codes(errors))
    if answer.status == 200:
        raise Unavailable(f"{shown} did not answer with GraphQL JSON")
    raise Unavailable(f"no GraphQL endpoint at {shown} (HTTP {answer.status})")
