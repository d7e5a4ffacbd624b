"""Real auth for the demo server: HS256 JWTs minted and verified with pyjwt, and the
``POST /auth/refresh`` endpoint of API.md on a small HTTP listener of its own."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import jwt

ALGORITHM = "HS256"
MAX_BODY = 64 * 1024


def _key(secret: str) -> bytes:
    # Any passphrase makes a full-length HMAC key (RFC 7518 3.2 wants 32 bytes).
    return hashlib.sha256(secret.encode()).digest()


def mint_token(
    secret: str, *, lifetime: float | None = 300.0, subject: str = "demo-user", now: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """A demo JWT (``extra``: more claims, as an identity provider adds email or preferred_username)."""
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {"sub": subject, "iss": "incidents-demo", "aud": "incidents", "iat": int(issued),
                              "scope": "incidents:read", **(extra or {})}
    if lifetime is not None:
        claims["exp"] = issued + lifetime  # fractional: second-long tokens in tests stay honest
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token signed with ``secret``; None otherwise."""
    try:
        return jwt.decode(token, _key(secret), algorithms=[ALGORITHM], audience="incidents", options={"require": ["sub"]})
    except jwt.PyJWTError:
        return None


def bearer(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("Bearer "):
        return value[7:]
    return None


class RefreshEndpoint:
    """``POST /auth/refresh {"refreshToken": …}`` -> ``{"token": …, "expiresAt": …}``."""

    def __init__(self, host: str, port: int, *, secret: str, refresh_token: str, lifetime: float) -> None:
        self.host, self.port = host, port
        self.secret, self.refresh_token, self.lifetime = secret, refresh_token, lifetime
        self.issued = 0
        self.minted: deque[str] = deque(maxlen=100)  # the tokens handed out, for leak tests
        self._server: asyncio.Server | None = None

    async def start(self) -> RefreshEndpoint:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/auth/refresh"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                status, body = await self._answer(reader)
            payload = json.dumps(body).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n".encode() + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[str, dict[str, Any]]:
        request_line = (await reader.readline()).decode("latin-1").split()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = min(int(value.strip()), MAX_BODY)
        body = await reader.readexactly(length) if length else b""
        if request_line[:2] != ["POST", "/auth/refresh"]:
            return "404 Not Found", {"error": "not found"}
        try:
            offered = json.loads(body).get("refreshToken")
        except (ValueError, AttributeError):
            return "400 Bad Request", {"error": "expected JSON with refreshToken"}
        if offered != self.refresh_token:
            return "401 Unauthorized", {"error": "invalid refresh token"}
        now = time.time()
        self.issued += 1
        expires = datetime.fromtimestamp(now + self.lifetime, UTC).isoformat().replace("+00:00", "Z")
        token = mint_token(self.secret, lifetime=self.lifetime, now=now)
        self.minted.append(token)
        return "200 OK", {"token": token, "expiresAt": expires}
