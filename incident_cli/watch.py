"""The watch use case: operations -> session -> client-side filter -> renderer.

Returns when the run is over (bound reached, every operation ended); raises an
errors.py type when it ends badly. The exit status is cli.py's business.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Protocol

from incident_cli import model
from incident_cli.errors import IncidentsError, OperationRejected
from incident_cli.filtering import UNKNOWN, Decision, SeverityIndex
from incident_cli.operations import Operation, incident_query
from incident_cli.session import Session, SessionConfig

LOOKUP_TIMEOUT = 5.0
MAX_FAILURES = 3


class Renderer(Protocol):
    def write(self, event: model.StreamEvent) -> None: ...


class StatusSink(Protocol):
    def report(self, event: model.StatusEvent) -> None: ...


@dataclass(frozen=True, kw_only=True)
class WatchRequest:
    operations: list[Operation]
    count: int | None = None  # stop after this many data events
    duration: float | None = None  # stop after this many seconds


@dataclass(frozen=True, kw_only=True)
class WatchResult:
    events: int
    reason: str  # "count", "duration" or "completed"


async def watch(config: SessionConfig, request: WatchRequest, renderer: Renderer, status: StatusSink) -> WatchResult:
    wanted = {operation.label: operation.client_severities for operation in request.operations}
    index = SeverityIndex()
    written = 0
    failures: list[str] = []
    reason = "completed"
    async with Session(config, request.operations) as session:
        lookups = _Lookups(session)
        deadline = asyncio.timeout(request.duration)
        try:
            async with deadline:
                async for event in session.events():
                    if not isinstance(event, model.StreamEvent):
                        status.report(event)
                        if isinstance(event, model.OperationEnded) and event.errors:
                            failures.extend(event.errors)
                        continue
                    if isinstance(event, model.Heartbeat) and event.subscription != "custom":
                        continue  # liveness, not data
                    kept = await _filtered(lookups, index, event, wanted.get(event.subscription))
                    if kept is None:
                        continue
                    renderer.write(kept)
                    written += 1
                    if request.count is not None and written >= request.count:
                        reason = "count"
                        break
        except TimeoutError:
            if not deadline.expired():
                raise  # a timeout of ours, not the --for bound
            reason = "duration"
    if failures and reason == "completed":
        raise OperationRejected("the server rejected the operation: " + "; ".join(failures)[:500])
    return WatchResult(events=written, reason=reason)


async def _filtered(
    lookups: _Lookups, index: SeverityIndex, event: model.StreamEvent, wanted: frozenset[str] | None
) -> model.StreamEvent | None:
    """The event to write (with its severity filled in when known), or None to drop it."""
    decision = index.decide(event, wanted)
    if decision is Decision.LOOKUP:
        decision = await lookups.resolve(index, event, wanted)
    if decision is Decision.DROP:
        return None
    severity = event.severity or index.severity_of(event.incident_id)
    return event if severity == event.severity else replace(event, severity=severity)


class _Lookups:
    """``incident(id)`` queries for incidents the stream has not described yet.

    One at a time, in stream order; after MAX_FAILURES in a row (a server without the
    query, say) it stops asking and events pass unverified rather than being lost.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._failures = 0

    async def resolve(self, index: SeverityIndex, event: model.StreamEvent, wanted: frozenset[str] | None) -> Decision:
        if self._failures >= MAX_FAILURES:
            return index.undecided(event.incident_id, wanted)
        try:
            data = await self._session.query(incident_query(str(event.incident_id)), timeout=LOOKUP_TIMEOUT)
        except IncidentsError:
            self._failures += 1
            return index.undecided(event.incident_id, wanted)
        self._failures = 0
        incident = data.get("incident") if isinstance(data, dict) else None
        severity = model.Incident.from_data(incident).severity if isinstance(incident, dict) else None
        index.learn(event.incident_id, severity or UNKNOWN)
        return index.decide(event, wanted)
