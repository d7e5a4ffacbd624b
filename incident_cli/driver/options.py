"""How the driver connects: one value, built from Settings in one place.

The defaults are the settings' defaults (settings.py writes each once); the rest are the
driver's own timing constants. ``tls_context`` is here too: the CA file is read when a
connection is configured, never later.
"""

from __future__ import annotations

import ssl
from dataclasses import field, replace
from typing import Any

from incident_cli.auth import Token
from incident_cli.backoff import BackoffPolicy
from incident_cli.errors import ConfigError
from incident_cli.liveness import Deadlines
from incident_cli.messages import Dialect
from incident_cli.settings import (
    DEFAULT_ACK_TIMEOUT,
    DEFAULT_MAX_MESSAGE,
    DEFAULT_OPEN_TIMEOUT,
    DEFAULT_PING_INTERVAL,
    DEFAULT_PING_TIMEOUT,
    Settings,
)
from incident_cli.urls import query_url
from incident_cli.values import frozen

__all__ = ["CLOSE_DEADLINE", "SessionConfig", "tls_context"]

CLOSE_DEADLINE = 2.0  # every shutdown step is bounded (RELIABILITY.md (a) 19)
HEARTBEAT_TIMEOUT = 20.0  # once HEARTBEATs flow (every 5 s), this long without a frame is dead
KEEPALIVE_TIMEOUT = 30.0  # legacy `ka`: the Apollo client's default


@frozen
class SessionConfig:
    """How one server is reached and kept alive: URL, credentials, timeouts, limits."""

    url: str
    token: Token | None = None  # used when the session is given no Credentials
    dialect: Dialect | None = None  # None: offer both, follow the server
    ack_timeout: float = DEFAULT_ACK_TIMEOUT
    open_timeout: float = DEFAULT_OPEN_TIMEOUT
    close_timeout: float = CLOSE_DEADLINE
    ping_interval: float | None = DEFAULT_PING_INTERVAL  # None: no pings of our own
    ping_timeout: float | None = DEFAULT_PING_TIMEOUT
    max_size: int = DEFAULT_MAX_MESSAGE
    max_retries: int | None = None
    first_contact: bool = False  # no server was named: give up if the first attempt is not answered
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT
    keepalive_timeout: float = KEEPALIVE_TIMEOUT
    proxy: bool = True  # honour proxy environment variables (never for loopback)
    ssl: Any = None  # an ssl.SSLContext for wss://, or None for the default
    query_url: str | None = None  # POST endpoint for queries the socket refuses; None: beside the socket

    @classmethod
    def from_settings(cls, settings: Settings, *, url: str | None = None, **overrides: Any) -> SessionConfig:
        """The connection the settings describe (``url``: another server, the demo's say)."""
        config = cls(
            url=url or settings.url,
            dialect=None if settings.protocol == "auto" else Dialect(settings.protocol),
            ack_timeout=settings.ack_timeout,
            open_timeout=settings.open_timeout,
            max_retries=settings.max_retries,
            max_size=settings.max_message_size,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            proxy=settings.proxy,
            ssl=tls_context(settings),
        )
        return replace(config, **overrides)

    def http_endpoint(self) -> str:
        return self.query_url if self.query_url is not None else query_url(self.url)

    def deadlines(self) -> Deadlines:
        return Deadlines(
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            heartbeat_timeout=self.heartbeat_timeout,
            keepalive_timeout=self.keepalive_timeout,
        )


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """System trust store (and SSL_CERT_FILE), plus ``ca_file`` when given."""
    if settings.ca_file is None:
        return None
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except FileNotFoundError:
        raise ConfigError(f"CA file {settings.ca_file} does not exist") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"CA file {settings.ca_file} is not a usable PEM certificate: {exc}") from None
