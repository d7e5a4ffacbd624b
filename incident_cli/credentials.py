"""Where tokens come from, fresh for every connection: a value, a file, a command, a refresh.

An I/O edge: it reads files, runs the token command and calls the refresh endpoint.
The session asks ``current()`` before each connect and ``refresh()`` when the server
rejects the token or it is about to expire; ``expires_at`` says when that is.
"""

from __future__ import annotations

from typing import Protocol

from incident_cli.auth import Token, expiry_of


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
