"""Credentials as values: a token that never shows itself, and where it goes on the wire.

Pure (house rule 1): reading files and the environment happens in config.py.
"""

from __future__ import annotations

import re
from typing import Any

from incident_cli.errors import ConfigError

# What an HTTP header value (and a JWT) can carry; anything else would be rejected by
# websockets with the whole header, token included, in the message (RELIABILITY.md e20).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]+")


class Token:
    """A bearer token. Its repr and str are redacted, so it cannot leak through logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token('<redacted>')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def parse_token(raw: str, *, source: str) -> Token:
    """Strip and validate a token read from ``source``; errors never echo the value."""
    value = raw.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if not value:
        raise ConfigError(f"the token from {source} is empty")
    if not _TOKEN_SHAPE.fullmatch(value):
        raise ConfigError(f"the token from {source} contains characters a token cannot have")
    return Token(value)


def authorization(token: Token) -> str:
    return f"Bearer {token.reveal()}"


def init_payload(token: Token | None) -> dict[str, Any] | None:
    """The connection_init payload the incident server reads the token from (API.md)."""
    if token is None:
        return None
    return {"Authorization": authorization(token)}


def upgrade_headers(token: Token | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": authorization(token)}


def claims(token: Token | None) -> dict[str, Any] | None:
    """The JWT's claims, read WITHOUT verifying the signature: for display and timing only.

    The server decides access; the client only reads ``exp`` to warn and to refresh in
    time. None when the token is not a JWT.
    """
    if token is None:
        return None
    import jwt  # pyjwt: imported here, only when a token is there to read

    try:
        decoded = jwt.decode(token.reveal(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return decoded if isinstance(decoded, dict) else None


def numeric_claim(values: dict[str, Any] | None, name: str) -> float | None:
    """A NumericDate claim; booleans and strings are not numbers (RELIABILITY.md (b))."""
    value = (values or {}).get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def expiry_of(token: Token | None) -> float | None:
    return numeric_claim(claims(token), "exp")
