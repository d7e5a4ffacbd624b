"""What a user can set, as values: every setting with its one default, and the parsers of
the values people type. Pure: ``cli/settings.py`` reads the flags, the environment and the
config file and decides precedence; the driver and the commands only read a Settings.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from incident_cli.auth import Token
from incident_cli.errors import UsageError
from incident_cli.sanitize import sanitize
from incident_cli.urls import http_beside
from incident_cli.values import frozen

# ---- the one place each default is written --------------------------------------------------
DEFAULT_URL = "ws://127.0.0.1:8080/graphql/ws"
DEFAULT_PATH = "/graphql/ws"
DEFAULT_ACK_TIMEOUT = 10.0  # gql's default; graphql-ws servers wait 3 s for our init
DEFAULT_OPEN_TIMEOUT = 10.0  # the handshake; and how long a one-shot run tries to connect
# Keepalive, WebSocket-level (websockets) and GraphQL ping/pong: a half-open connection is
# noticed within ping interval + ping timeout (+ the close deadline) = ~27 s.
DEFAULT_PING_INTERVAL = 15.0
DEFAULT_PING_TIMEOUT = 10.0
DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024  # the API documents 256 KB; room for drifted servers
PROTOCOL_CHOICES = ("auto", "graphql-transport-ws", "graphql-ws")
OUTPUT_CHOICES = ("auto", "table", "text", "jsonl")


@frozen
class Secret:
    """Where a token comes from: a value, a file (re-read on use) or a command (re-run)."""

    origin: str  # "INCIDENTS_TOKEN", "--token-file", "profile prod: token_command", ...
    value: Token | None = None
    path: Path | None = None
    command: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.path is not None:
            return f"file {self.path}"
        if self.command:
            return f"command {self.command[0]}"
        return "<redacted>"


@frozen
class Settings:
    """One server's settings: from flags, the environment and the profile, in that order."""

    url: str = DEFAULT_URL
    token: Secret | None = None
    refresh_token: Secret | None = None
    refresh_url: str | None = None
    ca_file: Path | None = None
    severity: str | None = None
    output: str | None = None  # a profile's choice applies only on a terminal (cli/watch.py)
    columns: str | None = None  # the table's columns, in order (render/columns.py checks the names)
    label_columns: tuple[str, ...] = ()  # label keys shown as table columns (-L)
    team: str | None = None  # filters beyond severity (incident_filter.py checks them)
    labels: tuple[str, ...] = ()  # KEY=VALUE, every one must hold
    state: str | None = None
    assignee: str | None = None
    grep: str | None = None
    protocol: str = "auto"
    ack_timeout: float = DEFAULT_ACK_TIMEOUT
    open_timeout: float = DEFAULT_OPEN_TIMEOUT  # --connect-timeout, connect_timeout
    ping_interval: float = DEFAULT_PING_INTERVAL
    ping_timeout: float = DEFAULT_PING_TIMEOUT
    max_message_size: int = DEFAULT_MAX_MESSAGE
    max_retries: int | None = None  # None: keep trying, as a tail should
    allow_insecure_transport: bool = False
    proxy: bool = True
    user: str | None = None  # who "me" is for take and assign (else the token's email, username or subject)
    read_only: bool = False  # refuse every action (ack, take, resolve...) before anything is sent
    profile: str | None = None
    config_path: Path | None = None
    origins: dict[str, str] = field(default_factory=dict)  # setting -> where its value came from

    @property
    def effective_refresh_url(self) -> str:
        """The refresh endpoint: configured, or ``/auth/refresh`` on the server's host (API.md)."""
        return self.refresh_url or http_beside(self.url, "/auth/refresh")  # never the URL's user:password@


# ---- where the config file is --------------------------------------------------------------------


def config_path(environ: Mapping[str, str]) -> Path:
    """``$INCIDENTS_CONFIG``, else ``$XDG_CONFIG_HOME/incidents/config.toml`` (XDG rules)."""
    if environ.get("INCIDENTS_CONFIG"):
        return expand(environ["INCIDENTS_CONFIG"], environ)
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else expand("~", environ) / ".config"
    return root / "incidents" / "config.toml"


def expand(value: str | Path, environ: Mapping[str, str]) -> Path:
    """``~`` is the given environment's HOME (so tests and profiles agree on it)."""
    text = str(value)
    if text == "~" or text.startswith("~/"):
        return Path(environ.get("HOME") or Path.home()) / text[2:]
    return Path(text)


# ---- parsers of what people type -------------------------------------------------------------


def normalise_url(raw: str, *, option: str = "--url") -> str:
    """Accept what users paste: http(s) becomes ws(s), a bare host gets /graphql/ws.

    Anything that is not a URL with a usable host is a usage error naming the option; the
    value is never echoed (it may carry a password).
    """
    text = raw.strip()
    if not text:
        raise UsageError(f"{option} is empty")
    if any(char.isspace() or not char.isprintable() for char in text):
        raise UsageError(f"{option} cannot contain spaces or control characters")
    if "://" not in text:
        text = "ws://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a bad port
        host = parts.hostname
    except ValueError as exc:
        reason = "an invalid port" if "port" in str(exc).lower() else "an unreadable host or port"
        raise UsageError(f"{option} has {reason}") from None
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("ws", "wss"):
        raise UsageError(f"{option} must be a ws:// or wss:// URL, not {sanitize(parts.scheme, max_length=20)}://")
    if not host:
        raise UsageError(f"{option} has no host")
    if not _valid_host(host):
        raise UsageError(f"{option} has a host that is neither a name nor an address")
    path = parts.path if parts.path not in ("", "/") else DEFAULT_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def _valid_host(host: str) -> bool:
    """An IP address, or a DNS name (international names through IDNA)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2}
MAX_SIZE = 1024**3  # 1 GiB: a bigger message limit is a typo, not a plan


def parse_size(text: str, *, option: str = "size") -> int:
    """``4MiB``, ``512KiB``, ``1000000``: a byte count."""
    value = text.strip().lower()
    digits = value.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = value[len(digits) :].strip()
    shown = sanitize(text, max_length=40)
    try:
        size = float(digits) * _SIZE_UNITS[unit]
    except (ValueError, KeyError):
        raise UsageError(f"{option}: {shown!r} is not a size (try 4MiB, 512KiB)") from None
    if not 1024 <= size <= MAX_SIZE:  # also NaN and infinity
        raise UsageError(f"{option}: {shown!r} is out of range (1KiB to 1GiB)")
    return int(size)
