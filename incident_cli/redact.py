"""``--debug`` logging that can be pasted into a ticket: no token survives it.

websockets' DEBUG logs show handshake headers and frames verbatim (RELIABILITY.md e15),
so every record passes a filter that blanks ``Authorization`` values, ``Bearer …``
credentials, refresh tokens and anything shaped like a JWT.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"
SECRET_RUN = 8  # no run of this many characters of a secret may appear in a log line

_PATTERNS = (
    # Authorization: Bearer x / "Authorization":"Bearer x" / authorization=x
    re.compile(r"(?i)(authorization\\?[\"']?\s*[:=]\s*\\?[\"']?)(?:(?:bearer|basic)\s+)?[^\s\"'\\,}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(refresh_?token\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\s\"'\\,}]+"),
    re.compile(r"()eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@]*(?=@)"),  # user:password@ in any URL
    re.compile(r"(?i)(\b(?:wss?|https?)://[^\s?#]*\?|\bGET [^\s?]*\?)[^\s#]+"),  # query strings may hold tokens
)
# Frames that carry credentials are blanked whole: websockets shortens long frames to their
# head and tail, and the tail of a token is still a secret.
_CREDENTIAL_FRAMES = (b"connection_init", b"uthorization", b"refreshToken")


def display_url(url: str) -> str:
    """The server as shown to people: never credentials or a query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return scrub(text, secrets)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Blank every run of SECRET_RUN or more characters that is a piece of one of ``secrets``."""
    grams = {s[i : i + SECRET_RUN] for s in secrets for i in range(len(s) - SECRET_RUN + 1)}
    if not grams:
        return text
    covered = [False] * len(text)
    for i in range(len(text) - SECRET_RUN + 1):
        if text[i : i + SECRET_RUN] in grams:
            covered[i : i + SECRET_RUN] = [True] * SECRET_RUN
    parts, i = [], 0
    while i < len(text):
        if covered[i]:
            while i < len(text) and covered[i]:
                i += 1
            parts.append(REDACTED)
        else:
            start = i
            while i < len(text) and not covered[i]:
                i += 1
            parts.append(text[start:i])
    return "".join(parts)


def _blank_credential_frames(args: Any) -> Any:
    if not isinstance(args, tuple):
        return args
    blanked = []
    for arg in args:
        data = getattr(arg, "data", None)
        opcode = getattr(arg, "opcode", None)
        if isinstance(data, bytes | bytearray) and opcode is not None and any(mark in data for mark in _CREDENTIAL_FRAMES):
            arg = f"{getattr(opcode, 'name', 'FRAME')} frame with credentials [{len(data)} bytes, {REDACTED}]"
        blanked.append(arg)
    return tuple(blanked)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Callable[[], Iterable[str]] = lambda: ()) -> None:
        super().__init__()
        self._secrets = secrets  # the secrets alive now, asked per record

    def filter(self, record: logging.LogRecord) -> bool:
        record.args = _blank_credential_frames(record.args)
        record.msg = redact(record.getMessage(), self._secrets())
        record.args = None
        if record.exc_info:
            # A traceback's text is redacted too; locals are never formatted.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self._secrets())
            record.exc_info = None
        return True


@contextlib.contextmanager
def debug_logging(stream: TextIO) -> Iterator[None]:
    """``--debug`` for the time of a run: websockets' and our own logs, redacted, on ``stream``."""
    from incident_cli.auth import live_secrets

    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(live_secrets))
    handler.setFormatter(logging.Formatter("incidents: debug: %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("websockets", "incident_cli")]
    before = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, (level, propagate) in zip(loggers, before, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
