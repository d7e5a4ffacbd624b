"""Where tokens come from, fresh for every connection: a value, a file, a command, a refresh.

An I/O edge: it reads token files, runs the token command and calls the refresh
endpoint. The session asks ``current()`` before each connect and ``refresh()`` when the
server rejects the token or it is about to expire; ``expires_at`` says when that is.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
from pathlib import Path
from typing import Protocol

from incident_cli.auth import Token, expiry_of, parse_token
from incident_cli.errors import AuthError, ConfigError, Unavailable
from incident_cli.model import parse_time
from incident_cli.settings import Secret, Settings

COMMAND_TIMEOUT = 10.0  # a token command that hangs must not hang the tail
REFRESH_TIMEOUT = 10.0


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


class Credentials(Protocol):
    @property
    def refreshable(self) -> bool:
        """Can ``refresh()`` produce a different token?"""

    @property
    def expires_at(self) -> float | None:
        """When the current token expires (seconds since the epoch), when known."""

    async def current(self) -> Token | None:
        """The token for the next connection."""

    async def refresh(self) -> Token | None:
        """A new token, or None when there is no way to get one."""


class StaticCredentials:
    """A token given once (environment, flag, stdin): never changes."""

    refreshable = False

    def __init__(self, token: Token | None) -> None:
        self._token = token
        self.expires_at = expiry_of(token)

    async def current(self) -> Token | None:
        return self._token

    async def refresh(self) -> Token | None:
        return None


class FileCredentials:
    """A token file, read again for every connection: an agent may rotate it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._token: Token | None = None
        self.expires_at: float | None = None

    @property
    def refreshable(self) -> bool:
        return True  # worth a re-read when rejected or expiring

    async def current(self) -> Token:
        self._token = read_secret_file(self._path)
        self.expires_at = expiry_of(self._token)
        return self._token

    async def refresh(self) -> Token | None:
        before = self._token
        token = await self.current()
        return token if token != before else None


class CommandCredentials:
    """A command that prints a fresh token, run for every connection (kubectl's exec plugins)."""

    refreshable = True

    def __init__(self, argv: tuple[str, ...]) -> None:
        self._argv = argv
        self.expires_at: float | None = None

    async def current(self) -> Token:
        name = self._argv[0]
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,  # its messages could hold secrets
            )
        except OSError as exc:
            raise ConfigError(f"cannot run the token command {name}: {exc.strerror}") from None
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                output, _ = await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ConfigError(f"the token command {name} did not finish within {COMMAND_TIMEOUT:g} s") from None
        if process.returncode != 0:
            raise ConfigError(f"the token command {name} failed with status {process.returncode}")
        token = parse_token(output.decode("utf-8", "replace"), source=f"the token command {name}")
        self.expires_at = expiry_of(token)
        return token

    async def refresh(self) -> Token:
        return await self.current()


class RefreshingCredentials:
    """An access token renewed with a refresh token at the server's refresh endpoint (API.md).

    ``POST {"refreshToken": …}`` answers ``{"token": …, "expiresAt": "<RFC 3339>"}``; a
    ``refreshToken`` in the answer replaces ours (rotation).
    """

    refreshable = True

    def __init__(
        self, first: Credentials | None, refresh_token: Token, url: str, ssl_context: ssl.SSLContext | None, proxy: bool = True
    ) -> None:
        self._first = first
        self._refresh_token = refresh_token
        self._url = url
        self._ssl = ssl_context
        self._proxy = proxy
        self._token: Token | None = None
        self._expires_at: float | None = None

    @property
    def expires_at(self) -> float | None:
        return self._expires_at

    async def current(self) -> Token | None:
        if self._token is None:
            self._token = await self._first.current() if self._first is not None else await self.refresh()
            self._expires_at = expiry_of(self._token)
        return self._token

    async def refresh(self) -> Token:
        answer = await asyncio.to_thread(self._post)
        token = parse_token(str(answer.get("token") or ""), source="the refresh endpoint's answer")
        rotated, expires = answer.get("refreshToken"), answer.get("expiresAt")
        if isinstance(rotated, str) and rotated.strip():
            self._refresh_token = parse_token(rotated, source="the refresh endpoint's answer")
        stated = parse_time(expires) if isinstance(expires, str) else None
        self._token = token
        self._expires_at = stated.timestamp() if stated else expiry_of(token)
        return token

    def _post(self) -> dict[str, object]:
        from incident_cli.driver.http import post_json  # only with a refresh endpoint: most runs never pay its import

        # The same rules as queries: TLS context, proxies, and no redirect to another origin.
        answer = post_json(
            self._url, {"refreshToken": self._refresh_token.reveal()}, ssl_context=self._ssl, proxy=self._proxy,
            timeout=REFRESH_TIMEOUT,
        )
        if answer.status in (400, 401, 403):
            raise AuthError(f"the refresh endpoint rejected the refresh token (HTTP {answer.status})")
        if answer.status != 200:
            raise Unavailable(f"the refresh endpoint answered HTTP {answer.status}")
        if not isinstance(answer.body, dict):
            raise Unavailable("the refresh endpoint did not answer a JSON object")
        return answer.body


def _base(secret: Secret | None) -> Credentials | None:
    if secret is None:
        return None
    if secret.command:
        return CommandCredentials(secret.command)
    if secret.path is not None:
        return FileCredentials(secret.path)
    return StaticCredentials(secret.value)


def expiry_notice(settings: Settings, run_for: float | None, now: float) -> str | None:
    """Before connecting: say so if the token is expired, or expires before a bounded run ends."""
    from incident_cli.auth import claims
    from incident_cli.auth import expiry_notice as notice

    secret = settings.token
    if secret is None or secret.command:
        return None  # a command's token is fetched on connect; it is fresh by design
    token = secret.value if secret.value is not None else read_secret_file(secret.path) if secret.path else None
    return notice(claims(token), now, run_for=run_for, refreshable=settings.refresh_token is not None)


def make_credentials(settings: Settings, ssl_context: ssl.SSLContext | None = None) -> Credentials:
    """The credentials the settings describe; a refresh token wraps whatever gives the first token."""
    base = _base(settings.token)
    refresh = settings.refresh_token
    if refresh is None:
        return base or StaticCredentials(None)
    if refresh.value is not None:
        refresh_token = refresh.value
    elif refresh.path is not None:
        refresh_token = read_secret_file(refresh.path, "refresh token file")
    else:
        raise ConfigError(f"the refresh token from {refresh.origin} has neither a value nor a file")
    return RefreshingCredentials(base, refresh_token, settings.effective_refresh_url, ssl_context, settings.proxy)
