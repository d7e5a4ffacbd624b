"""Editing the config file: ``config set``, ``get``, ``use``, ``profiles`` and ``init``.

tomlkit edits the file in place, so a person's comments and layout survive a ``config set``.
Every value is checked the way ``load_settings`` reads it before anything is written; the
file is written whole to a temporary file and renamed, private (0600), as a file that may
name a token should be. Secrets themselves are never taken on the command line: a profile
points at a token file (or a command) instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from incident_cli.cli.settings import PROFILE_KEYS, SECRET_KEYS, load_profile
from incident_cli.errors import ConfigError, UsageError
from incident_cli.sanitize import sanitize

LISTS = ("labels", "label_columns")  # comma-separated on the command line, a TOML array in the file


def read(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def write(path: Path, document: tomlkit.TOMLDocument) -> None:
    """Whole, private, and atomically: a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(tomlkit.dumps(document))
        os.replace(temporary, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None


def value_of(key: str, raw: str) -> Any:
    """What the command line's text becomes in the file, for ``key``."""
    if key not in PROFILE_KEYS:
        raise UsageError(f"unknown setting {sanitize(key, max_length=40)!r} (known: {', '.join(PROFILE_KEYS)})")
    if key in SECRET_KEYS:
        raise UsageError(f"a {key} is never taken on the command line: set {key}_file (or token_command) instead")
    kinds = PROFILE_KEYS[key]
    if key in LISTS:
        return [word.strip() for word in raw.split(",") if word.strip()]
    if bool in kinds:
        if raw.lower() not in ("true", "false"):
            raise UsageError(f"{key} is true or false (got {sanitize(raw, max_length=40)!r})")
        return raw.lower() == "true"
    if kinds == (int,):
        try:
            return int(raw)
        except ValueError:
            raise UsageError(f"{key} is a whole number (got {sanitize(raw, max_length=40)!r})") from None
    return raw


def set_value(path: Path, profile: str, key: str, raw: str, environ: Mapping[str, str]) -> None:
    document = read(path)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    table = profiles.setdefault(profile, tomlkit.table())
    table[key] = value_of(key, raw)
    _check(document, path, profile, environ)
    write(path, document)


def unset_value(path: Path, profile: str, key: str) -> bool:
    document = read(path)
    table = document.get("profiles", {}).get(profile)
    if table is None or key not in table:
        return False
    del table[key]
    write(path, document)
    return True


def init_profile(
    path: Path, profile: str, *, url: str, token_file: str | None, force: bool, environ: Mapping[str, str]
) -> None:
    """A new profile with a URL and a token file, checked as watch would read it; the default if it is the first."""
    document = read(path)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    if profile in profiles and not force:
        raise UsageError(f"profile {sanitize(profile, max_length=40)!r} exists in {path}; --force replaces it")
    table = tomlkit.table()
    table["url"] = url
    if token_file:
        table["token_file"] = token_file
    profiles[profile] = table
    if "default_profile" not in document and len(profiles) == 1 and profile != "default":
        document["default_profile"] = profile
    _check(document, path, profile, environ)
    write(path, document)


def use(path: Path, profile: str) -> None:
    document = read(path)
    if profile not in document.get("profiles", {}):
        known = ", ".join(names(path)) or "none"
        raise UsageError(f"no profile {sanitize(profile, max_length=40)!r} in {path} (profiles: {known})")
    document["default_profile"] = profile
    write(path, document)


def names(path: Path) -> list[str]:
    return sorted(read(path).get("profiles", {}))


def default_name(path: Path) -> str | None:
    document = read(path)
    chosen = document.get("default_profile")
    return str(chosen) if chosen is not None else ("default" if "default" in document.get("profiles", {}) else None)


def _check(document: tomlkit.TOMLDocument, path: Path, profile: str, environ: Mapping[str, str]) -> None:
    """Read the edited profile as watch will, before the file is touched: a bad value never lands."""
    from incident_cli.cli.settings import load_settings

    trial = path.with_name(f".{path.name}.{os.getpid()}.check")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(trial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(tomlkit.dumps(document))
        load_profile(trial, profile)
        load_settings(environ={**environ, "INCIDENTS_CONFIG": str(trial)}, flags={"profile": profile})
    except ConfigError as error:
        raise UsageError(error.message.replace(str(trial), str(path))) from None
    finally:
        trial.unlink(missing_ok=True)
