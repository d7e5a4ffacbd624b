"""The URL rules beside the socket's: where its HTTP GraphQL endpoint and its token refresh
endpoint are, and which hosts are loopback (no proxy; plain ws:// allowed with a token).
Pure: no I/O, never userinfo or a query string in what it builds.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit, urlunsplit


def http_beside(ws_url: str, path: str) -> str:
    """``wss://h:8443/graphql/ws`` with ``/auth/refresh`` -> ``https://h:8443/auth/refresh``."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, _netloc(parts), path, "", ""))


def query_url(ws_url: str) -> str:
    """The HTTP GraphQL endpoint beside a WebSocket one (API.md): ``wss://h/graphql/ws`` ->
    ``https://h/graphql``; a path that does not end in ``/ws`` is kept as it is. The token
    travels in a header."""
    path = urlsplit(ws_url).path
    path = path[: -len("/ws")] if path.endswith("/ws") else path
    return http_beside(ws_url, path or "/graphql")


def is_loopback(url: str) -> bool:
    """Loopback hosts never go through a proxy, and may be spoken to over plain ws://."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _netloc(parts: SplitResult) -> str:
    host = parts.hostname or ""
    return (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
