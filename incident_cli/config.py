"""One Settings object: defaults < environment (``INCIDENTS_*``) < flags.

This is an I/O edge: it reads the environment and token files so that nothing below it
has to. (Profiles in a config file arrive with the credentials work.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from incident_cli.auth import Token, parse_token
from incident_cli.errors import ConfigError, UsageError

DEFAULT_URL = "ws://127.0.0.1:8080/graphql/ws"
DEFAULT_PATH = "/graphql/ws"
DEFAULT_ACK_TIMEOUT = 10.0  # gql's default; graphql-ws servers wait 3 s for our init
DEFAULT_OPEN_TIMEOUT = 10.0
PROTOCOL_CHOICES = ("auto", "graphql-transport-ws", "graphql-ws")


@dataclass(frozen=True, kw_only=True)
class Settings:
    url: str = DEFAULT_URL
    token: Token | None = None
    protocol: str = "auto"
    ack_timeout: float = DEFAULT_ACK_TIMEOUT
    open_timeout: float = DEFAULT_OPEN_TIMEOUT
    max_retries: int | None = None  # None: keep trying, as a tail should


def normalise_url(raw: str) -> str:
    """Accept what users paste: http(s) becomes ws(s), a bare host gets /graphql/ws."""
    text = raw.strip()
    if "://" not in text:
        text = "ws://" + text
    parts = urlsplit(text)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("ws", "wss"):
        raise UsageError(f"--url must be a ws:// or wss:// URL, not {parts.scheme}://")
    if not parts.hostname:
        raise UsageError("--url has no host")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UsageError("--url has an invalid port") from None
    path = parts.path if parts.path not in ("", "/") else DEFAULT_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2}


def parse_size(text: str, *, option: str = "size") -> int:
    """``4MiB``, ``512KiB``, ``1000000``: a byte count."""
    value = text.strip().lower()
    digits = value.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = value[len(digits) :].strip()
    try:
        size = int(float(digits) * _SIZE_UNITS[unit])
    except (ValueError, KeyError):
        raise UsageError(f"{option}: {text!r} is not a size (try 4MiB, 512KiB)") from None
    if size < 1024:
        raise UsageError(f"{option}: {text!r} is too small (at least 1KiB)")
    return size


def read_token_file(path: Path) -> Token:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"token file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read token file {path}: {getattr(exc, 'strerror', None) or 'not text'}") from None
    return parse_token(raw, source=f"token file {path}")


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    url: str | None = None,
    token_file: Path | None = None,
    protocol: str | None = None,
    ack_timeout: float | None = None,
    max_retries: int | None = None,
) -> Settings:
    """Merge the sources; flags given as None fall through to the environment, then defaults."""
    env = os.environ if environ is None else environ
    chosen_url = normalise_url(url or env.get("INCIDENTS_URL") or DEFAULT_URL)
    token: Token | None = None
    token_path = token_file or (Path(env["INCIDENTS_TOKEN_FILE"]) if env.get("INCIDENTS_TOKEN_FILE") else None)
    if token_file is not None:
        token = read_token_file(token_file)
    elif env.get("INCIDENTS_TOKEN"):
        token = parse_token(env["INCIDENTS_TOKEN"], source="INCIDENTS_TOKEN")
    elif token_path is not None:
        token = read_token_file(token_path)
    chosen_protocol = protocol or env.get("INCIDENTS_PROTOCOL") or "auto"
    if chosen_protocol not in PROTOCOL_CHOICES:
        raise UsageError(f"invalid protocol {chosen_protocol!r}: choose from {', '.join(PROTOCOL_CHOICES)}")
    return Settings(
        url=chosen_url,
        token=token,
        protocol=chosen_protocol,
        ack_timeout=ack_timeout if ack_timeout is not None else DEFAULT_ACK_TIMEOUT,
        max_retries=max_retries,
    )
