"""``--debug`` logging that can be pasted into a ticket: no token survives it.

websockets' DEBUG logs show handshake headers and frames verbatim (RELIABILITY.md e15),
so every record passes a filter that blanks ``Authorization`` values, ``Bearer …``
credentials, refresh tokens and anything shaped like a JWT.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"

_PATTERNS = (
    # Authorization: Bearer x / "Authorization":"Bearer x" / authorization=x
    re.compile(r"(?i)(authorization\\?[\"']?\s*[:=]\s*\\?[\"']?)(?:bearer\s+)?[^\s\"'\\,}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(refresh_?token\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\s\"'\\,}]+"),
    re.compile(r"()eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
)


def display_url(url: str) -> str:
    """The server as shown to people: never credentials or a query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            # A traceback's text is redacted too; locals are never formatted.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_debug_logging(stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("incidents: debug: %(name)s: %(message)s"))
    for name in ("websockets", "incident_cli"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        logger.propagate = False
