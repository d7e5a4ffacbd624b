"""One Settings object: defaults < profile (config file) < environment < flags.

An I/O edge: it reads the environment, the TOML config file and token files, so nothing
below it has to. Every setting remembers where it came from, for ``incidents config show``.
A file that holds a secret must be private to its owner (mode 600), as ssh insists.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from incident_cli.auth import Token, parse_token
from incident_cli.errors import ConfigError, UsageError
from incident_cli.sanitize import sanitize

DEFAULT_URL = "ws://127.0.0.1:8080/graphql/ws"
DEFAULT_PATH = "/graphql/ws"
DEFAULT_ACK_TIMEOUT = 10.0  # gql's default; graphql-ws servers wait 3 s for our init
DEFAULT_OPEN_TIMEOUT = 10.0
PROTOCOL_CHOICES = ("auto", "graphql-transport-ws", "graphql-ws")
OUTPUT_CHOICES = ("auto", "table", "text", "jsonl")

# Profile keys and their types; anything else in a profile is an error naming the key.
PROFILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "token": str,
    "token_file": str,
    "token_command": (str, list),
    "refresh_token": str,
    "refresh_token_file": str,
    "refresh_url": str,
    "ca_file": str,
    "severity": str,
    "output": str,
    "protocol": str,
    "ack_timeout": (int, float),
    "connect_timeout": (int, float),
    "max_retries": int,
    "allow_insecure_transport": bool,
    "proxy": bool,
}
SECRET_KEYS = ("token", "refresh_token")


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class Settings:
    url: str = DEFAULT_URL
    token: Secret | None = None
    refresh_token: Secret | None = None
    refresh_url: str | None = None
    ca_file: Path | None = None
    severity: str | None = None
    output: str | None = None
    protocol: str = "auto"
    ack_timeout: float = DEFAULT_ACK_TIMEOUT
    open_timeout: float = DEFAULT_OPEN_TIMEOUT
    max_retries: int | None = None  # None: keep trying, as a tail should
    allow_insecure_transport: bool = False
    proxy: bool = True
    profile: str | None = None
    config_path: Path | None = None
    origins: dict[str, str] = field(default_factory=dict)  # setting -> where its value came from

    @property
    def effective_refresh_url(self) -> str:
        """The refresh endpoint: configured, or ``/auth/refresh`` on the server's host (API.md)."""
        if self.refresh_url:
            return self.refresh_url
        parts = urlsplit(self.url)
        scheme = "https" if parts.scheme == "wss" else "http"
        return urlunsplit((scheme, parts.netloc, "/auth/refresh", "", ""))


# ---- small parsers -----------------------------------------------------------------------


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


# ---- secrets on disk -----------------------------------------------------------------------


def check_private(path: Path, what: str) -> None:
    """Refuse a file holding a secret that others can read, or that someone else owns."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{what} {path} is a directory, not a file")
    if info.st_uid != os.getuid():
        raise ConfigError(f"{what} {path} belongs to another user; refusing to use it")
    if info.st_mode & 0o077:
        raise ConfigError(f"{what} {path} can be read by other users; run: chmod 600 {path}")


def read_secret_file(path: Path, what: str = "token file") -> Token:
    check_private(path, what)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {getattr(exc, 'strerror', None) or 'not text'}") from None
    return parse_token(raw, source=f"{what} {path}")


# ---- the config file -----------------------------------------------------------------------


def load_profile(path: Path, name: str | None) -> tuple[str | None, dict[str, Any]]:
    """The chosen profile's table; ({}, None) when there is no file and none was asked for."""
    if not path.exists():
        if name:
            raise ConfigError(f"profile {name!r} asked for, but {path} does not exist")
        return None, {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or 'not text'}") from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table of [profiles.NAME] sections")
    unknown_top = set(document) - {"profiles", "default_profile"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown key {sorted(unknown_top)[0]!r} (known: default_profile, profiles)")
    chosen = name or document.get("default_profile") or ("default" if "default" in profiles else None)
    if chosen is None:
        return None, {}
    if chosen not in profiles or not isinstance(profiles[chosen], dict):
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"{path}: no profile {chosen!r} (profiles: {known})")
    profile = profiles[chosen]
    for key, value in profile.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(f"{path}: profiles.{chosen}: unknown key {key!r} (known: {', '.join(PROFILE_KEYS)})")
        expected = PROFILE_KEYS[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            kind = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
            raise ConfigError(f"{path}: profiles.{chosen}.{key} must be a {kind}")
    if any(key in profile for key in SECRET_KEYS):
        check_private(path, "config file")  # it holds a token itself
    return chosen, profile


# ---- merging -------------------------------------------------------------------------------


def _command(value: str | list[Any], where: str) -> tuple[str, ...]:
    argv = shlex.split(value) if isinstance(value, str) else [str(part) for part in value]
    if not argv:
        raise ConfigError(f"{where}: token_command is empty")
    return tuple(argv)


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the sources. ``flags`` holds the command line's values; None means not given.

    Flag names: url, token (a Token), token_file, token_stdin (a Token read from stdin),
    profile, protocol, ack_timeout, open_timeout (--connect-timeout), max_retries, ca_file,
    refresh_token_file, refresh_url, allow_insecure_transport, proxy.
    """
    env = os.environ if environ is None else environ
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    path = config_path(env)
    profile_name, profile = load_profile(path, given.get("profile") or env.get("INCIDENTS_PROFILE"))
    where = f"profile {profile_name}"
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    def take(key: str, value: Any, origin: str) -> None:
        values[key] = value
        origins[key] = origin

    # Lowest first, so later sources overwrite: profile < environment < flags.
    for key in ("url", "refresh_url", "severity", "output", "protocol", "ack_timeout", "max_retries",
                "allow_insecure_transport", "proxy", "ca_file"):
        if key in profile:
            take(key, profile[key], where)
    if "connect_timeout" in profile:
        take("open_timeout", profile["connect_timeout"], where)
    for key, name in (("url", "INCIDENTS_URL"), ("protocol", "INCIDENTS_PROTOCOL"), ("ca_file", "INCIDENTS_CA_FILE"),
                      ("refresh_url", "INCIDENTS_REFRESH_URL"), ("severity", "INCIDENTS_SEVERITY")):
        if env.get(name):
            take(key, env[name], name)
    for key in ("url", "protocol", "ack_timeout", "max_retries", "ca_file", "refresh_url", "allow_insecure_transport",
                "proxy"):
        if key in given:
            take(key, given[key], f"--{key.replace('_', '-')}")
    if "open_timeout" in given:
        take("open_timeout", given["open_timeout"], "--connect-timeout")

    token = _token_source(given, env, profile, where)
    refresh = _refresh_source(given, env, profile, where)
    if token is not None:
        origins["token"] = token.origin
    if refresh is not None:
        origins["refresh_token"] = refresh.origin

    protocol = values.get("protocol", "auto")
    if protocol not in PROTOCOL_CHOICES:
        raise UsageError(f"invalid protocol {protocol!r} ({origins['protocol']}): choose from {', '.join(PROTOCOL_CHOICES)}")
    output = values.get("output")
    if output is not None and output not in OUTPUT_CHOICES:
        raise ConfigError(f"{path}: {where}.output must be one of {', '.join(OUTPUT_CHOICES)}")
    ca_file = expand(values["ca_file"], env) if values.get("ca_file") else None
    try:
        url = normalise_url(str(values.get("url", DEFAULT_URL)), option=origins.get("url", "--url"))
    except UsageError as error:
        if origins.get("url", "").startswith("profile"):
            raise ConfigError(f"{path}: {error.message}") from None  # the file is wrong, not the command line
        raise
    return Settings(
        url=url,
        token=token,
        refresh_token=refresh,
        refresh_url=values.get("refresh_url"),
        ca_file=ca_file,
        severity=values.get("severity"),
        output=output,
        protocol=protocol,
        ack_timeout=float(values.get("ack_timeout", DEFAULT_ACK_TIMEOUT)),
        open_timeout=float(values.get("open_timeout", DEFAULT_OPEN_TIMEOUT)),
        max_retries=values.get("max_retries"),
        allow_insecure_transport=bool(values.get("allow_insecure_transport", False)),
        proxy=bool(values.get("proxy", True)),
        profile=profile_name,
        config_path=path,
        origins=origins,
    )


def _token_source(given: Mapping[str, Any], env: Mapping[str, str], profile: Mapping[str, Any], where: str) -> Secret | None:
    if "token_stdin" in given:
        return Secret(origin="--token-stdin", value=given["token_stdin"])
    if "token" in given:
        return Secret(origin="--token", value=given["token"])
    if "token_file" in given:
        return Secret(origin="--token-file", path=expand(given["token_file"], env))
    if env.get("INCIDENTS_TOKEN"):
        return Secret(origin="INCIDENTS_TOKEN", value=parse_token(env["INCIDENTS_TOKEN"], source="INCIDENTS_TOKEN"))
    if env.get("INCIDENTS_TOKEN_FILE"):
        return Secret(origin="INCIDENTS_TOKEN_FILE", path=expand(env["INCIDENTS_TOKEN_FILE"], env))
    if "token_command" in profile:
        return Secret(origin=f"{where}: token_command", command=_command(profile["token_command"], where))
    if "token_file" in profile:
        return Secret(origin=f"{where}: token_file", path=expand(profile["token_file"], env))
    if "token" in profile:
        return Secret(origin=f"{where}: token", value=parse_token(profile["token"], source=f"{where}: token"))
    return None


def _refresh_source(given: Mapping[str, Any], env: Mapping[str, str], profile: Mapping[str, Any], where: str) -> Secret | None:
    if "refresh_token_file" in given:
        return Secret(origin="--refresh-token-file", path=expand(given["refresh_token_file"], env))
    if env.get("INCIDENTS_REFRESH_TOKEN"):
        value = parse_token(env["INCIDENTS_REFRESH_TOKEN"], source="INCIDENTS_REFRESH_TOKEN")
        return Secret(origin="INCIDENTS_REFRESH_TOKEN", value=value)
    if env.get("INCIDENTS_REFRESH_TOKEN_FILE"):
        return Secret(origin="INCIDENTS_REFRESH_TOKEN_FILE", path=expand(env["INCIDENTS_REFRESH_TOKEN_FILE"], env))
    if "refresh_token_file" in profile:
        return Secret(origin=f"{where}: refresh_token_file", path=expand(profile["refresh_token_file"], env))
    if "refresh_token" in profile:
        value = parse_token(profile["refresh_token"], source=f"{where}: refresh_token")
        return Secret(origin=f"{where}: refresh_token", value=value)
    return None
