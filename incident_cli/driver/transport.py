"""Opening a socket, and turning what websockets raises into errors.py types (house rule 5).

The one place that knows websockets' exception classes; the session sees only
IncidentsError subclasses, with Disconnected for what is worth retrying.
"""

from __future__ import annotations

import os
import socket
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    InvalidHandshake,
    InvalidProxyMessage,
    InvalidProxyStatus,
    InvalidStatus,
    InvalidURI,
    SecurityError,
)
from websockets.exceptions import InvalidMessage as HandshakeEOF
from websockets.typing import Subprotocol

from incident_cli import __version__
from incident_cli import protocol as p
from incident_cli.auth import Token, upgrade_headers
from incident_cli.driver.batched import BatchedConnection
from incident_cli.errors import (
    AuthError,
    ClientBug,
    ConfigError,
    Disconnected,
    IncidentsError,
    OperationRejected,
    ProtocolMismatch,
)
from incident_cli.messages import OFFERED_SUBPROTOCOLS, Dialect
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize
from incident_cli.urls import is_loopback

if TYPE_CHECKING:
    from incident_cli.driver.options import SessionConfig


async def open_connection(
    config: SessionConfig, dialect: Dialect | None = None, token: Token | None = None
) -> BatchedConnection:
    """Connect offering ``dialect`` (or both, modern first); raise only errors.py types."""
    offered = [Subprotocol(dialect.value)] if dialect else [Subprotocol(name) for name in OFFERED_SUBPROTOCOLS]
    try:
        connection = await connect(
            config.url,
            create_connection=BatchedConnection,
            subprotocols=offered,
            additional_headers=upgrade_headers(token),
            user_agent_header=f"incidents/{__version__}",
            open_timeout=config.open_timeout,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
            max_size=config.max_size,
            proxy=None if is_loopback(config.url) or not config.proxy else True,
            **({"ssl": config.ssl} if config.ssl is not None and config.url.startswith("wss:") else {}),
        )
        assert isinstance(connection, BatchedConnection)
        return connection
    except InvalidStatus as exc:
        retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
        raise http_failure(exc.response.status_code, display_url(config.url), retry_after=retry_after) from None
    except ssl.SSLCertVerificationError as exc:
        raise ConfigError(f"TLS certificate verification failed: {exc.verify_message}") from None
    except ssl.SSLError as exc:
        raise ConfigError(f"TLS handshake failed: {exc.reason or exc}") from None
    except InvalidURI:
        raise ConfigError(f"invalid server URL {display_url(config.url)}") from None
    except SecurityError as exc:
        raise ConfigError(f"refused an unsafe redirect: {exc}") from None
    except HandshakeEOF as exc:
        raise Disconnected(f"the server closed the connection during the handshake ({exc})") from None
    except InvalidProxyStatus as exc:  # before InvalidHandshake, whose kind it is
        raise proxy_failure(exc.response.status_code, display_url(config.url)) from None
    except InvalidProxyMessage as exc:
        raise Disconnected(f"the proxy's answer to CONNECT was not HTTP ({sanitize(str(exc), max_length=100)})") from None
    except InvalidHandshake as exc:
        raise ProtocolMismatch(f"the WebSocket handshake failed: {sanitize(str(exc))}") from None
    except TimeoutError:
        raise Disconnected(f"no WebSocket handshake within {config.open_timeout:g} s") from None
    except OSError as exc:
        # asyncio words a refusal as "Connect call failed ('127.0.0.1', 9)": the errno says it plainly.
        if isinstance(exc, socket.gaierror):  # a name that does not resolve: its own words, not errno's
            reason = f"cannot resolve the host ({exc.strerror or exc})"
        else:
            reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
        raise Disconnected(f"cannot connect to {display_url(config.url)}: {sanitize(reason, max_length=200)}") from None


def http_failure(status: int, url: str, *, retry_after: float | None = None) -> IncidentsError:
    """What an HTTP answer instead of 101 means: auth, retry later, or no endpoint."""
    if status in (401, 403):
        return AuthError(f"the server rejected the credentials (HTTP {status})")
    if status == 429:
        return Disconnected(f"the server is rate limiting (HTTP {status})", rate_limited=True, retry_after=retry_after)
    if status >= 500:
        return Disconnected(f"the server answered HTTP {status}", retry_after=retry_after)
    if status == 404:
        return ProtocolMismatch(f"no WebSocket endpoint at {url} (HTTP 404)")
    return ProtocolMismatch(f"the server refused the WebSocket upgrade at {url} (HTTP {status})")


def proxy_failure(status: int, url: str) -> IncidentsError:
    """What a proxy's answer to CONNECT other than 200 means: a 5xx is the path's trouble, like a
    disconnect (back off, retry); 407 and the other refusals are configuration, which waiting
    cannot mend."""
    if status >= 500:
        return Disconnected(f"the proxy answered HTTP {status} to CONNECT for {url}")
    if status == 407:
        return ConfigError("the proxy asks for credentials (HTTP 407): give them in the proxy URL, or --no-proxy")
    return ConfigError(f"the proxy refused to connect to {url} (HTTP {status}); --no-proxy goes around it")


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare on upgrades and is ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86400 else None


def describe_close(code: int | None, reason: str) -> str:
    """``closed with 1012 (restart)``: the server's reason is untrusted, so sanitised."""
    if code is None:
        return "connection dropped without a close frame (1006)"
    # RFC 6455 caps reasons at 123 bytes; a longer one is not from a conforming peer.
    return f"closed with {code}" + (f" ({sanitize(reason, max_length=123)})" if reason else "")




def same_origin(url: str, ws: ClientConnection) -> bool:
    """Did the handshake end at the host we were asked to connect to (no cross-origin redirect)?"""
    if ws.request is None:
        return True
    parts = urlsplit(url)
    default = 443 if parts.scheme == "wss" else 80
    expected = (parts.hostname or "").lower(), parts.port or default
    host = ws.request.headers.get("Host", "")
    if host.startswith("["):  # [::1]:8080
        name, _, rest = host[1:].partition("]")
        port = rest.lstrip(":")
    else:
        name, _, port = host.partition(":")
    try:
        actual = name.lower(), int(port) if port else default
    except ValueError:
        return False
    return actual == expected


def server_date(ws: ClientConnection) -> float | None:
    """The server's clock, from the handshake response's Date header (RFC 9110), if any."""
    from email.utils import parsedate_to_datetime

    value = ws.response.headers.get("Date") if ws.response is not None else None
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def close_error(cause: p.Cause, described: str) -> IncidentsError:
    """The fatal error for a close the protocol core judged fatal, by its cause."""
    if cause is p.Cause.AUTH:
        return AuthError(f"the server rejected the credentials: {described}")
    if cause is p.Cause.CLIENT_BUG:
        return ClientBug(f"the server says our messages are invalid: {described}")
    if cause is p.Cause.REJECTED:
        return OperationRejected(f"the server rejected the operation: {described}")
    return ProtocolMismatch(f"the server ended the connection: {described}")
