"""Fault knobs that make the demo server the fault-injection peer for tests.

Given on the command line as ``--fault key=value`` (repeatable) or built directly.
Counts are of operation messages (next/data/error/complete) sent on one connection.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Faults:
    """The misbehaviours the demo server can be asked for (`--fault key=value`)."""

    ack_delay: float = 0.0  # seconds before connection_ack
    skip_ack: bool = False  # never acknowledge
    close_after: int | None = None  # close the socket after this many operation messages
    close_code: int = 1011
    close_reason: str = ""
    garbage_after: int | None = None  # send an invalid frame (``garbage``) after this many
    garbage: str = "this is not JSON {"
    binary_after: int | None = None  # send a binary frame after this many
    silent_after: int | None = None  # stop sending and answering (socket stays open)
    connections: int | None = None  # apply to the first N connections only (None: all)
    ping_interval: float | None = None  # server-side graphql-transport-ws pings
    init_timeout: float = 3.0  # close 4408 when connection_init is late (graphql-ws default)
    query_delay: float = 0.0  # seconds before a query on the socket is answered (a slow list or lookup; not introspection)
    # Server-wide, once: after this many seconds every connection is closed with 1012 (a restart),
    # and the world is ``restart_world``: "same", "new" (another seed: the old incidents unknown)
    # or "resolve" (half the active incidents resolved while nobody was connected).
    restart_after: float | None = None
    # "error": a mutation is applied, then answered with INTERNAL_SERVER_ERROR; "drop": applied, then
    # the connection drops before the answer (a client must read the incident back, never resend);
    # "fail": answered with INTERNAL_SERVER_ERROR and not applied.
    mutation_fault: str = ""
    restart_world: str = "same"

    def active_for(self, connection_number: int) -> Faults:
        """These faults for the Nth connection (1-based): none past ``connections``."""
        if self.connections is not None and connection_number > self.connections:
            return replace(
                Faults(), ping_interval=self.ping_interval, init_timeout=self.init_timeout,
                restart_after=self.restart_after, restart_world=self.restart_world,
            )
        return self


_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def parse_faults(items: list[str] | None) -> Faults:
    """``["close_after=3", "close_code=1012"]`` -> Faults; ValueError names a bad item."""
    known = {f.name: f for f in fields(Faults)}
    values: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise ValueError(f"unknown fault {item!r}; known: {', '.join(known)}")
        default = getattr(Faults(), key)
        kind = known[key].type
        try:
            if "bool" in str(kind):
                values[key] = _BOOLS[raw.strip().lower()]
            elif "float" in str(kind):
                values[key] = float(raw)
            elif "int" in str(kind):
                values[key] = int(raw)
            else:
                values[key] = raw
        except (KeyError, ValueError):
            raise ValueError(f"bad value for fault {key}: {raw!r} (default {default!r})") from None
    if values.get("mutation_fault", "") not in ("", "error", "drop", "fail"):
        raise ValueError(f"bad value for fault mutation_fault: {values['mutation_fault']!r} (error, drop or fail)")
    if values.get("restart_world", "same") not in ("same", "new", "resolve"):
        raise ValueError(f"bad value for fault restart_world: {values['restart_world']!r} (same, new or resolve)")
    return Faults(**values)
