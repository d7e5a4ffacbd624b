"""The JSON-lines record: one compact, versioned envelope per event, as the output writes it
and the watch's fast lane builds it (tracking.py). Pure: no writing here (render/jsonl.py).

``v, kind, subscription, received_at, incident_id, severity``, then for records about one
incident ``title, state, owner, team`` as the memory knows them, ``data`` (the server's value
as sent) and ``source`` when several servers are watched at once. Its shape is pinned by a test.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from incident_cli import model
from incident_cli.memory import Memory

ENVELOPE_VERSION = 1

STATUS_NAMES = {
    model.Connected: "connected",
    model.Reconnecting: "reconnecting",
    model.GapRepaired: "gap_repaired",
    model.RunCoverage: "coverage",
    model.OutputDropped: "output_dropped",
    model.ServerWarning: "warning",
    model.ClientWarning: "warning",  # the same name: its data has a message instead of messages
    model.OperationEnded: "operation_ended",
    model.Resubscribing: "resubscribing",
    model.CredentialsRefreshed: "credentials_refreshed",
    model.Notice: "notice",
}

# Records about one incident carry its title, state, owner and team as the memory knows them.
TITLED = frozenset({"incident", "update", "state_change"})


def stamp(moment: datetime) -> str:
    """RFC 3339 with ``Z``."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class Stamps:
    """``stamp``, kept for the last moment: a burst of events shares one received_at (the
    driver reads the clock once a millisecond), so it is formatted once. Compared by value:
    nothing here depends on which object the driver handed on."""

    __slots__ = ("_moment", "_text")

    def __init__(self) -> None:
        self._moment: datetime | None = None
        self._text = ""

    def text(self, moment: datetime) -> str:
        if moment != self._moment:
            self._moment, self._text = moment, stamp(moment)
        return self._text


def envelope(event: model.StreamEvent, memory: Memory | None = None, stamps: Stamps | None = None) -> dict[str, Any]:
    """The record of ``event``; with a ``memory``, records about an incident carry what it knows
    of it (an update names only the incident's id); ``stamps``: a caller's formatted times."""
    record = {
        "v": ENVELOPE_VERSION,
        "kind": event.kind,
        "subscription": event.subscription,
        "received_at": stamps.text(event.received_at) if stamps is not None else stamp(event.received_at),
        "incident_id": event.incident_id,
        "severity": event.severity,
    }
    if memory is not None and event.kind in TITLED:
        # The server's ``data`` stays as it was sent.
        known = memory.about(event)
        if known is None:
            record["title"] = record["state"] = record["owner"] = record["team"] = None
        else:
            record["title"], record["state"], record["owner"], record["team"] = (
                known.title, known.state, known.assignee, known.team)
    record["data"] = event.data
    if event.source is not None:
        record["source"] = event.source
    return record


def status_record(event: model.StatusEvent, now: datetime) -> dict[str, Any]:
    """``{"v":1,"kind":"status","event":"reconnecting","received_at":…,"data":{…}}``."""
    return {
        "v": ENVELOPE_VERSION,
        "kind": "status",
        "event": STATUS_NAMES[type(event)],
        "received_at": stamp(now),
        "data": dataclasses.asdict(event),
    }


def heartbeat_record(event: model.Heartbeat) -> dict[str, Any]:
    """``{"v":1,"kind":"status","event":"heartbeat","received_at":…,"subscription":…,"data":{…}}``."""
    record = {"v": ENVELOPE_VERSION, "kind": "status", "event": "heartbeat", "received_at": stamp(event.received_at),
              "subscription": event.subscription, "data": event.data}
    if event.source is not None:
        record["source"] = event.source
    return record
