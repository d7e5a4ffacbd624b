"""Where connections put what they read: one way down, into the consumer's inbox.

A connection is handed the session's Delivery (its events) and the session's control inbox
(an operation ended); it never calls back up. During a token handover two connections
deliver at once: what both deliver in the overlap is passed on once. The Delivery also
notes, for operations the server failed, whether they have delivered since.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from incident_cli import model
from incident_cli.driver.inbox import Inbox
from incident_cli.values import frozen

if TYPE_CHECKING:
    from incident_cli import operation_errors
    from incident_cli.operations import Operation


@frozen
class Ended:
    """A control item: the server ended one of the operations of connection number
    ``connection`` (a value travels up, never the connection object)."""

    connection: int
    operation: Operation
    errors: tuple[str, ...]
    verdict: operation_errors.Verdict | None


class Delivery:
    def __init__(self, inbox: Inbox[model.Event], monotonic: Callable[[], float]) -> None:
        self._inbox = inbox
        self._monotonic = monotonic
        self._recent: set[str] | None = None  # fingerprints of events during a handover
        self._until: float | None = None  # when handover de-duplication stops
        self._watched: dict[str, bool] = {}  # label -> delivered since it was last marked

    def put(self, event: model.Event) -> None:
        if self._recent is None and self._until is None and not self._watched:
            self._inbox.put(event)  # no handover, no failed operation watched: nearly always (issue 16)
            return
        if isinstance(event, model.StreamEvent | model.Result):
            if self._watched and event.subscription in self._watched:
                self._watched[event.subscription] = True
            if self._until is not None and self._monotonic() > self._until:
                self._recent, self._until = None, None
            if self._recent is not None:
                fingerprint = event.subscription + json.dumps(event.data, sort_keys=True, default=str)
                if fingerprint in self._recent:
                    return  # the other connection of a handover delivered it already
                self._recent.add(fingerprint)
        self._inbox.put(event)

    # ---- a handover: two connections deliver at once for a while ---------------------------

    def overlap(self) -> None:
        self._recent, self._until = set(), None

    def overlap_for(self, seconds: float) -> None:
        """The old connection is gone; the new one may still lag behind it a little."""
        self._until = self._monotonic() + seconds

    def no_overlap(self) -> None:
        self._recent, self._until = None, None

    # ---- operations the server failed -------------------------------------------------------

    def delivered_since_marked(self, label: str) -> bool:
        """Has ``label`` delivered since ``mark``? (Then its earlier faults are behind it.)"""
        return self._watched.get(label, False)

    def mark(self, label: str) -> None:
        self._watched[label] = False

    def forget(self, label: str) -> None:
        self._watched.pop(label, None)
