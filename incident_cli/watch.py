"""The watch use case: operations -> session -> client-side filter -> output.

Returns when the run is over (bound reached, every operation ended); raises an
errors.py type when it ends badly. The exit status is cli.py's business.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from incident_cli import model
from incident_cli.errors import IncidentsError, OperationRejected
from incident_cli.filtering import UNKNOWN, Decision, SeverityIndex
from incident_cli.operations import Operation, active_incidents_query, incident_query
from incident_cli.session import Session, SessionConfig

LOOKUP_TIMEOUT = 5.0
MAX_FAILURES = 3
BACKFILL_PAGES = 10  # at most this many pages of 100 active incidents


class Output(Protocol):
    def write(self, event: model.StreamEvent) -> None:
        """A data event from the stream."""

    def snapshot(self, event: model.IncidentSeen) -> None:
        """An incident as a query described it (backfill or lookup): context, not stream data."""

    def report(self, event: model.StatusEvent | model.Heartbeat) -> None:
        """Connection status, warnings, and heartbeats (liveness)."""


@dataclass(frozen=True, kw_only=True)
class WatchRequest:
    operations: list[Operation]
    count: int | None = None  # stop after this many data events
    duration: float | None = None  # stop after this many seconds
    backfill: bool = False  # list the active incidents before streaming
    severities: tuple[str, ...] = ()  # for the backfill query


@dataclass(frozen=True, kw_only=True)
class WatchResult:
    events: int
    reason: str  # "count", "duration" or "completed"


async def watch(config: SessionConfig, request: WatchRequest, output: Output) -> WatchResult:
    wanted = {operation.label: operation.client_severities for operation in request.operations}
    index = SeverityIndex()
    written = 0
    failures: list[str] = []
    reason = "completed"
    backfill_pending = request.backfill
    async with Session(config, request.operations) as session:
        lookups = _Lookups(session)
        deadline = asyncio.timeout(request.duration)
        try:
            async with deadline:
                async for event in session.events():
                    if not isinstance(event, model.StreamEvent) or (
                        isinstance(event, model.Heartbeat) and event.subscription != "custom"
                    ):
                        output.report(event)  # heartbeats are liveness, not data
                        if isinstance(event, model.OperationEnded) and event.errors:
                            failures.extend(event.errors)
                        if isinstance(event, model.Connected) and backfill_pending:
                            backfill_pending = False
                            await _backfill(session, index, output, request.severities)
                        continue
                    kept, learned = await _filtered(lookups, index, event, wanted.get(event.subscription))
                    if kept is None:
                        continue
                    if learned is not None:
                        output.snapshot(learned)  # only for incidents that pass the filter
                    output.write(kept)
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


async def _backfill(session: Session, index: SeverityIndex, output: Output, severities: tuple[str, ...]) -> None:
    """List, then watch: the active incidents, so a new view is never empty while some are open."""
    received_at = datetime.now(timezone.utc)
    for page in range(1, BACKFILL_PAGES + 1):
        try:
            data = await session.query(active_incidents_query(severities=severities, page=page), timeout=LOOKUP_TIMEOUT)
        except IncidentsError as error:
            output.report(model.ServerWarning(subscription="backfill", messages=(f"listing active incidents failed: {error}",)))
            return
        connection = data.get("incidents") if isinstance(data, dict) else None
        items = connection.get("incidents") if isinstance(connection, dict) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                event = _snapshot("backfill", item, received_at)
                index.learn(event.incident_id, event.severity)
                output.snapshot(event)
        info = connection.get("pageInfo") if isinstance(connection, dict) else None
        if not (isinstance(info, dict) and info.get("hasNextPage")):
            return


def _snapshot(label: str, data: dict[str, Any], received_at: datetime) -> model.IncidentSeen:
    incident = model.Incident.from_data(data)
    return model.IncidentSeen(
        subscription=label, received_at=received_at, data=data, incident=incident, severity=incident.severity
    )


async def _filtered(
    lookups: _Lookups, index: SeverityIndex, event: model.StreamEvent, wanted: frozenset[str] | None
) -> tuple[model.StreamEvent | None, model.IncidentSeen | None]:
    """The event to write (severity filled in when known) or None, and what a lookup learned."""
    decision, learned = index.decide(event, wanted), None
    if decision is Decision.LOOKUP:
        decision, learned = await lookups.resolve(index, event, wanted)
    if decision is Decision.DROP:
        return None, None
    severity = event.severity or index.severity_of(event.incident_id)
    return (event if severity == event.severity else replace(event, severity=severity)), learned


class _Lookups:
    """``incident(id)`` queries for incidents the stream has not described yet.

    One at a time, in stream order, once per incident; after MAX_FAILURES in a row (a
    server without the query, say) it stops asking and events pass unverified rather
    than being lost.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._failures = 0

    async def resolve(
        self, index: SeverityIndex, event: model.StreamEvent, wanted: frozenset[str] | None
    ) -> tuple[Decision, model.IncidentSeen | None]:
        if self._failures >= MAX_FAILURES:
            return index.undecided(event.incident_id, wanted), None
        try:
            data = await self._session.query(incident_query(str(event.incident_id)), timeout=LOOKUP_TIMEOUT)
        except IncidentsError:
            self._failures += 1
            return index.undecided(event.incident_id, wanted), None
        self._failures = 0
        incident = data.get("incident") if isinstance(data, dict) else None
        if not isinstance(incident, dict):
            index.learn(event.incident_id, UNKNOWN)
            return index.decide(event, wanted), None
        snapshot = _snapshot("lookup", incident, event.received_at)
        index.learn(event.incident_id, snapshot.severity or UNKNOWN)
        return index.decide(event, wanted), snapshot
