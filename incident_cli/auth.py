"""Credentials as values: a token that never shows itself, and where it goes on the wire.

Pure (house rule 1): reading files and the environment happens in config.py.
"""

from __future__ import annotations

import re
import weakref
from datetime import UTC
from typing import Any

from incident_cli.errors import ConfigError

# What an HTTP header value (and a JWT) can carry; anything else would be rejected by
# websockets with the whole header, token included, in the message (RELIABILITY.md e20).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]+")


class Token:
    """A bearer token. Its repr and str are redacted, so it cannot leak through logs.

    Every token alive in the process is known to ``live_secrets()``, so ``--debug`` can blank
    any piece of one wherever it turns up (a frame shortened to its head and tail included).
    """

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value: str) -> None:
        self._value = value
        _LIVE.add(self)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token('<redacted>')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


_LIVE: weakref.WeakSet[Token] = weakref.WeakSet()  # a safety net for redaction, not a store


def live_secrets() -> list[str]:
    """The values of the tokens alive now (access and refresh tokens alike)."""
    return [token.reveal() for token in list(_LIVE)]


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


def _when(moment: float, now: float) -> str:
    from datetime import datetime

    stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = moment - now
    span = _span(abs(delta))
    return f"{stamp} ({'in ' + span if delta >= 0 else span + ' ago'})"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def describe(values: dict[str, Any] | None, now: float) -> list[tuple[str, str]]:
    """What a person wants to know about a token, as (label, text) rows. Pure: ``now`` is given."""
    if values is None:
        return [("kind", "an opaque token (not a JWT): sent as it is; its expiry cannot be known")]
    rows = [("kind", "a JWT")]
    for label, claim in (("subject", "sub"), ("issuer", "iss")):
        if isinstance(values.get(claim), str):
            rows.append((label, values[claim]))
    audience = values.get("aud")
    if audience:
        rows.append(("audience", ", ".join(audience) if isinstance(audience, list) else str(audience)))
    scopes = values.get("scope") or values.get("scp")
    if scopes:
        rows.append(("scopes", " ".join(scopes) if isinstance(scopes, list) else str(scopes)))
    issued = numeric_claim(values, "iat")
    if issued is not None:
        rows.append(("issued", _when(issued, now)))
    expires = numeric_claim(values, "exp")
    if expires is None:
        rows.append(("expires", "never (no exp claim)"))
    else:
        rows.append(("expires", _when(expires, now) + ("  EXPIRED" if expires <= now else "")))
    return rows


def expiry_notice(values: dict[str, Any] | None, now: float, *, run_for: float | None, refreshable: bool) -> str | None:
    """A warning before connecting: expired, or expiring before a bounded run ends."""
    if values is None:
        return "note: the token is not a JWT, so its expiry cannot be checked; it is sent as it is"
    expires = numeric_claim(values, "exp")
    if expires is None or refreshable:
        return None
    if expires <= now:
        return f"warning: the token expired {_span(now - expires)} ago; the server will probably reject it"
    if run_for is not None and expires < now + run_for:
        return f"warning: the token expires in {_span(expires - now)}, before this run ends"
    return None
