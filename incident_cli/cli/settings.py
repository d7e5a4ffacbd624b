"""One Settings from every source, precedence decided once: defaults < profile < environment < flags.

An I/O edge: it reads the environment it is given and the TOML config file. Every setting
remembers where its value came from, for ``incidents config show``. A config file that
holds a secret must be private to its owner (mode 600), as ssh insists.
"""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from incident_cli import incident_filter as facets
from incident_cli.auth import parse_token
from incident_cli.driver.credentials import check_private
from incident_cli.durations import parse_duration
from incident_cli.errors import ConfigError, UsageError
from incident_cli.operations import parse_severities
from incident_cli.settings import (
    DEFAULT_URL,
    OUTPUT_CHOICES,
    PROTOCOL_CHOICES,
    Secret,
    Settings,
    config_path,
    expand,
    normalise_url,
    parse_size,
)
from incident_cli.values import frozen


def _text(raw: Any, where: str) -> str:
    return str(raw)


def _seconds(raw: Any, where: str) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if raw <= 0:
            raise UsageError(f"{where}: the duration must be positive")
        return float(raw)
    return parse_duration(str(raw), option=where)


def _keys(raw: Any, where: str) -> tuple[str, ...]:
    """A list in TOML, or one comma-separated string; each key checked."""
    from incident_cli.render.column_names import parse_label_key

    parts = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return tuple(dict.fromkeys(parse_label_key(str(part)) for part in parts))


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    """A list in TOML (or on the command line), or one string."""
    return tuple(str(part) for part in raw) if isinstance(raw, list | tuple) else (str(raw),)


def _size(raw: Any, where: str) -> int:
    return parse_size(str(raw), option=where)


def _same(raw: Any, where: str) -> Any:
    return raw


def _checked(parse: Callable[[str, str], object]) -> Callable[[Any, str], str]:
    """Text checked where it is given, exactly as the watch will read it: a bad value in a
    profile is then blamed on the file, the profile and the key, never on a flag nobody typed."""

    def convert(raw: Any, where: str) -> str:
        parse(str(raw), where)
        return str(raw)

    return convert


def _labels(raw: Any, where: str) -> tuple[str, ...]:
    items = _strings(raw, where)
    facets.parse_labels(items, where)
    return items


def _severities(text: str, where: str) -> object:
    return parse_severities(text, option=where)


def _columns(text: str, where: str) -> object:
    from incident_cli.render.column_names import parse_columns

    return parse_columns(text, where)


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def convert(raw: Any, where: str) -> str:
        if raw not in choices:
            shown = str(raw).encode("ascii", "backslashreplace").decode()[:30]
            raise UsageError(f"{where}: {name} must be one of {', '.join(choices)}, not {shown!r}")
        return str(raw)

    return convert


@frozen(kw_only=False)
class Source:
    """Where one setting can come from, and how its raw value becomes a Settings value."""

    field: str  # of Settings
    profile: str | None  # key in a [profiles.NAME] table
    environ: str | None  # environment variable
    flag: str | None  # the option, for "where it came from"
    kinds: tuple[type, ...]  # what TOML may hold for it
    convert: Callable[[Any, str], Any] = _same


SOURCES = (
    Source("url", "url", "INCIDENTS_URL", "--url", (str,), _text),
    Source("refresh_url", "refresh_url", "INCIDENTS_REFRESH_URL", "--refresh-url", (str,), _text),
    Source("ca_file", "ca_file", "INCIDENTS_CA_FILE", "--ca-file", (str,), _text),
    Source("severity", "severity", "INCIDENTS_SEVERITY", "--severity", (str,), _checked(_severities)),
    Source("output", "output", None, None, (str,), _choice("output", OUTPUT_CHOICES)),
    Source("columns", "columns", None, "--columns", (str,), _checked(_columns)),
    Source("label_columns", "label_columns", None, "-L", (list, str), _keys),
    Source("team", "team", None, "--team", (str,), _checked(facets.parse_teams)),
    Source("labels", "labels", None, "--label", (list, str), _labels),
    Source("state", "state", None, "--state", (str,), _checked(facets.parse_states)),
    Source("assignee", "assignee", None, "--assignee", (str,), _checked(facets.words)),
    Source("grep", "grep", None, "--grep", (str,), _checked(facets.parse_grep)),
    Source("protocol", "protocol", "INCIDENTS_PROTOCOL", "--protocol", (str,), _choice("protocol", PROTOCOL_CHOICES)),
    Source("ack_timeout", "ack_timeout", None, "--ack-timeout", (int, float, str), _seconds),
    Source("open_timeout", "connect_timeout", None, "--connect-timeout", (int, float, str), _seconds),
    Source("ping_interval", "ping_interval", None, "--ping-interval", (int, float, str), _seconds),
    Source("ping_timeout", "ping_timeout", None, "--ping-timeout", (int, float, str), _seconds),
    Source("max_message_size", "max_message_size", None, "--max-message-size", (int, str), _size),
    Source("max_retries", "max_retries", None, "--max-retries", (int,), _same),
    Source("allow_insecure_transport", "allow_insecure_transport", None, "--allow-insecure-transport", (bool,), _same),
    Source("proxy", "proxy", None, "--proxy", (bool,), _same),
    Source("user", "user", "INCIDENTS_USER", "--as", (str,), _text),
    Source("read_only", "read_only", None, "--read-only", (bool,), _same),
)
URL = Source("url", None, None, None, (str,), lambda raw, where: normalise_url(str(raw), option=where))
TOKEN_KEYS: dict[str, tuple[type, ...]] = {
    "token": (str,), "token_file": (str,), "token_command": (str, list), "refresh_token": (str,), "refresh_token_file": (str,),
}
PROFILE_KEYS: dict[str, tuple[type, ...]] = {**{s.profile: s.kinds for s in SOURCES if s.profile}, **TOKEN_KEYS}
SECRET_KEYS = ("token", "refresh_token")


def load_profile(path: Path, name: str | None) -> tuple[str | None, dict[str, Any]]:
    """The chosen profile's table; (None, {}) when there is no file and none was asked for."""
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
    _check_types(path, chosen, profile)
    if any(key in profile for key in SECRET_KEYS):
        check_private(path, "config file")  # it holds a token itself
    return chosen, profile


KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list"}


def _kinds(kinds: tuple[type, ...]) -> str:
    """``a whole number, a number or text``: what TOML may hold for a key, as a person reads it."""
    names = [KIND_NAMES.get(kind, kind.__name__) for kind in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _check_types(path: Path, name: str, profile: dict[str, Any]) -> None:
    for key, value in profile.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(f"{path}: profiles.{name}: unknown key {key!r} (known: {', '.join(PROFILE_KEYS)})")
        kinds = PROFILE_KEYS[key]
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            raise ConfigError(f"{path}: profiles.{name}.{key} must be {_kinds(kinds)}")


def load_settings(*, environ: Mapping[str, str], flags: Mapping[str, Any] | None = None) -> Settings:
    """Merge the sources. ``flags`` holds the command line's values, None meaning not given;
    its keys are Settings fields (durations and sizes as typed, or as numbers), plus
    ``profile``, ``token`` (a Token), ``token_file``, ``token_stdin`` (a Token read from
    stdin) and ``refresh_token_file``."""
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    path = config_path(environ)
    profile_name, profile = load_profile(path, given.get("profile") or environ.get("INCIDENTS_PROFILE"))
    where = f"profile {profile_name}"
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for source in SOURCES:  # lowest first, so later sources overwrite: profile < environment < flags
        if source.profile in profile:
            values[source.field] = _converted(source, profile[source.profile], f"{where}.{source.profile}", path)
            origins[source.field] = where
        if source.environ and environ.get(source.environ):
            values[source.field] = _converted(source, environ[source.environ], source.environ, None)
            origins[source.field] = source.environ
        if source.field in given:
            values[source.field] = _converted(source, given[source.field], source.flag or source.field, None)
            origins[source.field] = source.flag or source.field
    token, refresh = _token_source(given, environ, profile, where), _refresh_source(given, environ, profile, where)
    for key, secret in (("token", token), ("refresh_token", refresh)):
        if secret is not None:
            origins[key] = secret.origin
    url_origin = origins.get("url", "--url")
    url = _converted(URL, values.get("url", DEFAULT_URL), url_origin, path if url_origin.startswith("profile") else None)
    ca_file = expand(values["ca_file"], environ) if values.get("ca_file") else None
    return Settings(**{**values, "url": url, "ca_file": ca_file}, token=token, refresh_token=refresh,
                    profile=profile_name, config_path=path, origins=origins)


def _converted(source: Source, raw: Any, where: str, path: Path | None) -> Any:
    """The setting's value; a bad one in the config file names the file (78), elsewhere it is usage (2)."""
    try:
        return source.convert(raw, where)
    except UsageError as error:
        if path is not None:
            raise ConfigError(f"{path}: {error.message}") from None
        raise


def _command(value: str | list[Any], where: str) -> tuple[str, ...]:
    argv = shlex.split(value) if isinstance(value, str) else [str(part) for part in value]
    if not argv:
        raise ConfigError(f"{where}: token_command is empty")
    return tuple(argv)


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
