"""The watch use case: operations -> session -> client-side filter -> output.

On every connection it (re)synchronises with the list query: the first time to learn
what is open (and, when asked, to show it), after a reconnect to emit what changed
while it was away. Returns when the run is over (bound reached, every operation ended);
raises an errors.py type when it ends badly. The exit status is cli.py's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import field, replace
from datetime import UTC, datetime
from typing import Any

from incident_cli import model
from incident_cli.coverage import Coverage
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import Documents
from incident_cli.driver.session import Session
from incident_cli.errors import IncidentsError, OperationRejected, Unavailable
from incident_cli.filtering import UNKNOWN, Decision, HeldBack, SeverityIndex
from incident_cli.incident_filter import IncidentFilter, parse_states
from incident_cli.memory import Memory
from incident_cli.one_record import OneRecord
from incident_cli.operations import Operation
from incident_cli.redact import display_url
from incident_cli.render import Output
from incident_cli.repair import changed, left_the_list
from incident_cli.values import frozen
from incident_cli.wording import plural

LOOKUP_TIMEOUT = 5.0
MAX_FAILURES = 3  # lookups failing in a row before they pause...
LOOKUP_PAUSE = 30.0  # ...for this many seconds
REPAIR_BATCH = 50  # incidents that left the active list while we were away, looked up in one query
REPAIR_BUDGET = 15.0  # seconds those look-ups may take in all after a reconnect
INCIDENT_STREAMS = frozenset({"newIncidents", "criticalIncidents", "incidentUpdates", "incidentStateChanges"})


@frozen
class WatchRequest:
    """What one watch is asked to do: operations, bounds, filters, repair."""

    operations: list[Operation]
    count: int | None = None  # stop after this many data events
    duration: float | None = None  # stop after this many seconds
    backfill: bool = False  # show the active incidents before streaming
    repair: bool = True  # after a reconnect, emit what changed while away
    severities: tuple[str, ...] = ()  # for the list query
    once: bool = False  # list the active incidents as data, then end: a snapshot
    limit: int | None = None  # a snapshot run writes at most this many (the cut is said)
    since: float | None = None  # --once/backfill: only incidents active within this many seconds
    idle_exit: float | None = None  # end after this many seconds without a data event
    fail_on: frozenset[str] = frozenset()  # severities whose sighting makes the run "failed"
    connect_within: float | None = None  # a one-shot run (--once, a query document) gives up connecting after this
    follow_owners: bool = False  # re-read an incident after an ASSIGNED update: the view shows its owner
    facets: IncidentFilter = field(default_factory=IncidentFilter)  # --team, --label, --state, --assignee, --grep
    raw_streams: bool = False  # every server message, not one record per change


@frozen
class WatchResult:
    """How a watch ended: events written, why, and whether any alarmed."""

    events: int
    reason: str  # "count", "duration", "idle", "snapshot" or "completed"
    alarming: int = 0  # events of a --fail-on severity seen


BOUNDED = ("count", "duration", "idle")  # reasons a run ends by the user's bound


class _Done(Exception):
    """A bound was reached: --count, --idle-exit or the end of a --once snapshot."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def watch(
    config: SessionConfig,
    request: WatchRequest,
    output: Output,
    credentials: Credentials | None = None,
    planner: Any = None,
    documents: Documents | None = None,
    memory: Memory | None = None,
    source: str | None = None,
) -> WatchResult:
    """Run a watch. ``planner`` rebuilds the subscriptions per connection from the server's
    schema; ``documents`` builds the lookup and list queries to match. ``memory``: what is
    known of each incident, shared with the output (``source``: this server's name in it,
    when several share it)."""
    loop = asyncio.get_running_loop()
    async with Session(config, request.operations, credentials=credentials, planner=planner) as session:
        run = _Watch(session, request, output, documents or Documents(), memory if memory is not None else Memory(), source)
        deadline = asyncio.timeout(request.duration)
        try:
            async with deadline:
                await run.stream()
        except TimeoutError:
            if not deadline.expired():
                raise  # a timeout of ours, not the --for bound
            run.reason = "duration"
        except _Done as done:
            run.reason = done.reason
        finally:
            await run.rereads.close()
        run.let_go()
    if run.reason in BOUNDED:
        coverage = run.coverage
        output.report(coverage.summary(loop.time()))
        if not coverage.ever_connected:
            # "Nothing seen" from a run that never looked is not a success (cron: --fail-on P0 || notify).
            raise Unavailable(
                f"never connected to {display_url(config.url)} during the {loop.time() - coverage.started:.1f} s run "
                f"({_attempts(coverage.attempts)}): {coverage.last_failure or 'no answer to the first attempt'}"
            )
    if run.failures and run.reason == "completed":
        if run.gave_up:  # the server's fault, not the document's
            raise Unavailable("the server kept failing the subscriptions: " + "; ".join(run.failures)[:500])
        raise OperationRejected("the server rejected the operation: " + "; ".join(run.failures)[:500])
    return WatchResult(events=run.written, reason=run.reason, alarming=run.alarming)


def _attempts(count: int) -> str:
    return plural(count, "failed attempt") if count else "the first attempt still under way"


class _Watch:
    def __init__(
        self, session: Session, request: WatchRequest, output: Output, documents: Documents, memory: Memory,
        source: str | None,
    ) -> None:
        self.session = session
        self.server = display_url(session.url)  # as errors name it: never userinfo or a query string
        self.request = request
        self.output = output
        self.documents = documents
        self.memory = memory
        self.source = source
        self.index = SeverityIndex(memory)
        self.held = HeldBack()
        self.warned_hold = False
        # --severity: a shown event must carry its real severity (custom documents are the user's own)
        self.strict = bool(request.severities) and all(op.label != model.Label.CUSTOM for op in request.operations)
        self.facets = request.facets if request.facets else None  # None: no filter beyond severity
        # One record per change (one_record.py), unless every message is asked for.
        self.one_record = None if request.raw_streams else OneRecord(frozenset(op.label for op in request.operations))
        self.lookups = _Lookups(session, documents)
        self.rereads = _Rereads(self.reread)
        self.synced = False  # the first list query has been made
        self.sync_enabled = any(op.label in INCIDENT_STREAMS for op in request.operations) and (
            request.repair or request.backfill
        )
        self.list_severities = request.severities or (
            ("P0", "P1") if {op.label for op in request.operations} == {"criticalIncidents"} else ()
        )
        self.written = 0
        self.cut = 0  # incidents a snapshot run left out past --limit
        self.alarming = 0
        self.failures: list[str] = []
        self.gave_up = False  # an operation ended because the server kept failing it
        self.reason = "completed"
        self.coverage = Coverage(asyncio.get_running_loop().time())
        self.last_data = self.coverage.started  # of the last data event, for --idle-exit
        self.connect_by = None if request.connect_within is None else self.coverage.started + request.connect_within
        if request.once:
            self.sync_enabled = True

    async def stream(self) -> None:
        batches = self.session.batches()
        loop = asyncio.get_running_loop()
        self.last_data = loop.time()
        while (batch := await self.next_batch(batches, loop)) is not None:
            for event in batch:
                if not isinstance(event, model.StreamEvent):
                    await self.on_status(event, loop.time())
                    continue
                decision = self.triage(event)  # the common case, KEEP, costs no coroutine (issue 7)
                if decision is Decision.KEEP:
                    self.keep(event, None)
                elif decision is Decision.LOOKUP:
                    await self.after_lookup(event, event.scope.wanted)
                elif decision is Decision.HOLD:
                    self.hold(event, event.scope.wanted, "the server does not know the incident")

    async def next_batch(
        self, batches: AsyncIterator[list[model.Event]], loop: asyncio.AbstractEventLoop
    ) -> list[model.Event] | None:
        """The next events (None at the end), unless --idle-exit or a one-shot's connect bound comes first."""
        idle = self.request.idle_exit
        # --idle-exit counts from the last data event: heartbeats and status do not reset it.
        idle_at = None if idle is None else self.last_data + idle
        give_up_at = self.connect_by if not self.coverage.ever_connected else None
        wake = min((t for t in (idle_at, give_up_at) if t is not None), default=None)
        try:
            if wake is None:
                batch = await anext(batches)  # no timer per batch unless one is asked for
            else:
                async with asyncio.timeout(max(0.0, wake - loop.time())):
                    batch = await anext(batches)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            if give_up_at is not None and loop.time() >= give_up_at:
                raise Unavailable(
                    f"could not connect to {self.server} within {self.request.connect_within:g} s "
                    f"({_attempts(self.coverage.attempts)}): {self.coverage.last_failure or 'no answer to the first attempt'}"
                ) from None
            raise _Done("idle") from None
        if idle is not None and any(isinstance(e, model.StreamEvent) and not isinstance(e, model.Heartbeat) for e in batch):
            self.last_data = loop.time()
        return batch

    def triage(self, event: model.StreamEvent) -> Decision | None:
        """What to do with a data event: keep, look its incident up, hold it back, or drop it."""
        if isinstance(event, model.Heartbeat):
            self.output.report(event)  # heartbeats are liveness, not data, whatever the document
            return None
        # Under --team, --state...: a change that takes an incident out of the filter is shown (the
        # last word on it, as a selector's watch says an object left), so ask before the memory learns.
        was = self.facets.decide(self.memory.get(event.incident_id)) if self.facets is not None else None
        self.memory.observe(event, self.source)  # once per event: every reader of the memory sees it
        decision = self.decide(event, event.scope.wanted, within=event.scope.within, was=was)
        if self.held and isinstance(event, model.IncidentSeen):
            self.release(event.incident_id)  # it taught a severity: what waited for it goes first
        return decision

    async def on_status(self, event: model.StatusEvent, now: float) -> None:
        self.output.report(event)
        if isinstance(event, model.Connected):
            self.coverage.connected(now)
        elif isinstance(event, model.Reconnecting):
            self.coverage.lost(now, event.reason)
        if isinstance(event, model.OperationEnded) and event.errors:
            self.failures.extend(event.errors)
            self.gave_up = self.gave_up or event.gave_up
        if isinstance(event, model.Connected) and self.facets is not None and self.facets.states:
            self.check_states()
        if isinstance(event, model.Connected) and self.sync_enabled:
            await self.sync(event)
            if self.request.once:
                raise _Done("snapshot")

    def check_states(self) -> None:
        """--state against the server's own IncidentState, once its schema is known: a state it
        does not have would match nothing, for ever, and say nothing."""
        assert self.facets is not None
        states = self.documents.enum("IncidentState")
        if states is not None:
            parse_states(",".join(sorted(self.facets.states)), "--state", known=states)

    def decide(
        self, event: model.StreamEvent, wanted: frozenset[str] | None, within: frozenset[str] | None = None,
        was: bool | None = None,
    ) -> Decision:
        """The severity filter, then the others (team, labels, state, owner, text) from the memory;
        ``was``: the incident passed them before this event."""
        decision = self.index.decide(event, wanted=wanted, within=within, strict=self.strict)
        if decision is Decision.KEEP and self.one_record is not None and self.one_record.redundant(
                event, self.index.severity_of):
            return Decision.DROP  # the richer record of the same change is shown (or was, or will be)
        if decision is not Decision.KEEP or self.facets is None or event.incident_id is None:
            return decision
        verdict = self.facets.decide(self.memory.get(event.incident_id))
        if verdict or was:
            return Decision.KEEP
        return Decision.DROP if verdict is False else Decision.LOOKUP

    async def after_lookup(self, event: model.StreamEvent, wanted: frozenset[str] | None) -> None:
        """An event whose incident's severity (or team, state...) is not known yet: ask, then decide."""
        incident_id = event.incident_id
        found = await self.lookups.find(str(incident_id))
        learned = None
        if found is NOT_ASKED:
            decision = self.index.undecided(wanted=wanted, strict=self.strict or self.facets is not None)
            why = self.lookups.reason
        else:
            if found is None:
                self.index.learn(incident_id, UNKNOWN)
                why = "the server does not know the incident"
            else:
                learned = _snapshot(model.Label.LOOKUP, found, event.received_at)
                self.memory.observe(learned, self.source)
                self.index.learn(incident_id, learned.severity or UNKNOWN)
                why = "the server gave no severity for it"
                self.release(incident_id)
            decision = self.decide(event, wanted)
            if decision is Decision.LOOKUP:
                decision = Decision.HOLD  # looked up, and still not described: never shown unverified
        if decision is Decision.HOLD:
            self.hold(event, wanted, why)
        elif decision is Decision.KEEP:
            self.keep(event, learned)

    def hold(self, event: model.StreamEvent, wanted: frozenset[str] | None, why: str) -> None:
        """Under --severity an event is never shown with a severity nobody knows: it waits."""
        self.held.hold(event, wanted)
        if not self.warned_hold:
            self.warned_hold = True
            what = "the severity" if self.facets is None else "what the filter needs to know (severity, team, state...)"
            self.output.report(model.ClientWarning(message=(
                f"{what} of incident {str(event.incident_id)[:8]} is not known ({why}); under a filter, "
                "events about such incidents are held back until it is known, never shown unfiltered"
            )))

    def release(self, incident_id: str | None) -> None:
        """Its severity is known now: decide what was held for it, in the order it came."""
        for event, wanted in self.held.release(incident_id):
            decision = self.decide(event, wanted)
            if decision is Decision.KEEP:
                self.keep(event, None)
            elif decision in (Decision.HOLD, Decision.LOOKUP):
                self.held.hold(event, wanted)

    def let_go(self) -> None:
        """At the end: say how many held events never became showable."""
        count = self.held.close()
        if count:
            self.output.report(model.ClientWarning(
                message=f"{plural(count, 'event')} about incidents of unknown severity not shown "
                "(--severity could not verify them)"
            ))

    def keep(self, event: model.StreamEvent, learned: model.IncidentSeen | None) -> None:
        """Write an event that passed the filter (``learned``: what a lookup told about it)."""
        if learned is not None:
            self.output.snapshot(learned)  # only for incidents that pass the filter
        severity = event.severity or self.index.severity_of(event.incident_id)
        self.emit(event if severity == event.severity else model.with_severity(event, severity))
        if self.request.follow_owners and isinstance(event, model.IncidentUpdated) and event.update.update_type == "ASSIGNED":
            self.rereads.ask(event.incident_id)  # an update names no assignee: the view asks who, in the background

    async def reread(self, incident_id: str) -> None:
        """The incident described again (after an assignment): the memory and the view learn its owner."""
        found = await self.lookups.find(incident_id)
        if isinstance(found, dict):
            snapshot = _snapshot(model.Label.LOOKUP, found, datetime.now(UTC))
            self.memory.observe(snapshot, self.source)
            self.output.snapshot(snapshot)

    def emit(self, event: model.StreamEvent) -> None:
        self.output.write(event)
        self.written += 1
        if event.severity in self.request.fail_on:
            self.alarming += 1
        if self.request.count is not None and self.written >= self.request.count:
            raise _Done("count")

    # ---- list, then watch; and repair after a gap -------------------------------------

    async def sync(self, connected: model.Connected) -> None:
        """The list query, read page by page: the first time to learn what is open (and show it
        when asked); after a reconnect, to emit what changed while away and to check, by id, what
        the view held that the list no longer has (resolved, closed, or unknown to the server)."""
        first = not self.synced
        if not first and not self.request.repair:
            return
        if not self.documents.can_list():
            self.sync_enabled = False  # the server cannot list: just stream
            return
        received_at = datetime.now(UTC)
        listed: set[str] = set()
        repaired = 0
        ask = lambda operation: self.session.query(operation, timeout=LOOKUP_TIMEOUT)  # noqa: E731
        try:
            async for page in self.documents.pages(ask, severities=self.list_severities):
                for item in page:
                    snapshot = _snapshot(model.Label.BACKFILL, item, received_at)
                    listed.add(snapshot.incident_id or "")
                    if first:
                        self.learn_listed(snapshot, received_at)
                    elif changed(self.memory, snapshot.incident) and self._passes(snapshot, observe=True):
                        repaired += self.repaired(snapshot)
        except IncidentsError as error:
            if not self.session.stopping:  # a clean exit cuts the query short: nothing to warn about
                warning = f"listing active incidents failed, so gaps cannot be repaired: {error}"
                self.output.report(model.ClientWarning(message=warning))
            self.sync_enabled = False
            return
        finally:
            if first and self.cut:  # --limit: never a silent cut
                shown = self.written
                self.output.report(model.Notice(message=f"showing {shown:,} of {shown + self.cut:,} (--limit)"))
        if first:
            self.synced = True
            return
        left = left_the_list(self.memory, listed, self.source, self.list_severities)
        found, vanished, unverified = await self.verify(left, received_at)
        self.output.report(model.GapRepaired(downtime=connected.downtime, repaired=repaired + found,
                                             vanished=tuple(vanished), unverified=unverified))
        self.coverage.repaired += 1

    def learn_listed(self, snapshot: model.IncidentSeen, received_at: datetime) -> None:
        """One incident of the first listing: the memory learns it; a snapshot run writes it (up
        to --limit); a watch shows it when backfilling, else only lets the output learn its title."""
        self.memory.observe(snapshot, self.source)
        self.index.learn(snapshot.incident_id, snapshot.severity)
        self.release(snapshot.incident_id)
        wanted = self._recent(snapshot, received_at) and self._passes(snapshot)
        if self.request.once:
            if wanted and (self.request.limit is None or self.written < self.request.limit):
                self.emit(snapshot)  # a snapshot run: the list is the data
            elif wanted:
                self.cut += 1
            return
        shown = self.request.backfill and wanted
        self.output.snapshot(snapshot if shown else replace(snapshot, subscription=model.Label.BASELINE))

    async def verify(self, ids: list[str], received_at: datetime) -> tuple[int, list[str], int]:
        """Incidents that left the active list while we were away, looked up REPAIR_BATCH at a time
        within REPAIR_BUDGET: (emitted as resolved or closed, vanished from the server, not checked)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPAIR_BUDGET
        repaired = 0
        vanished: list[str] = []
        for start in range(0, len(ids), REPAIR_BATCH):
            batch = ids[start : start + REPAIR_BATCH]
            lookup = self.documents.incidents(batch)
            left = deadline - loop.time()
            if lookup is None or left <= 0:
                return repaired, vanished, len(ids) - start
            try:
                data = await self.session.query(lookup, timeout=min(LOOKUP_TIMEOUT, left))
            except IncidentsError:
                return repaired, vanished, len(ids) - start
            if not isinstance(data, dict):
                return repaired, vanished, len(ids) - start
            for number, incident_id in enumerate(batch):
                incident = data.get(f"i{number}")
                if not isinstance(incident, dict):
                    vanished.append(incident_id)  # the server does not know it (any more)
                    self.memory.forget(incident_id)
                    continue
                snapshot = _snapshot(model.Label.REPAIR, incident, received_at)
                if (changed(self.memory, snapshot.incident) and self._wanted_severity(snapshot.severity)
                        and self._passes(snapshot, observe=True)):
                    repaired += self.repaired(snapshot)
        return repaired, vanished, 0

    def _passes(self, snapshot: model.IncidentSeen, *, observe: bool = False) -> bool:
        """The filters beyond severity, for a listed incident (described, so never "not known")."""
        if self.facets is None:
            return True
        was = None
        if observe:  # a repair compares with the memory first, then lets it learn
            was = self.facets.decide(self.memory.get(snapshot.incident_id))
            self.memory.observe(snapshot, self.source)
        # As for a live change: one that took the incident out of the filter while we were away is shown.
        return self.facets.decide(self.memory.get(snapshot.incident_id)) is True or was is True

    def _recent(self, snapshot: model.IncidentSeen, now: datetime) -> bool:
        """--since: the list queries take no time filter, so it is applied here."""
        if self.request.since is None:
            return True
        stamp = model.parse_time(snapshot.incident.updated_at) or model.parse_time(snapshot.incident.created_at)
        return stamp is None or (now - stamp).total_seconds() <= self.request.since

    def repaired(self, snapshot: model.IncidentSeen) -> int:
        self.memory.observe(snapshot, self.source)
        self.index.learn(snapshot.incident_id, snapshot.severity)
        self.release(snapshot.incident_id)
        self.emit(replace(snapshot, subscription=model.Label.REPAIR))
        return 1

    def _wanted_severity(self, severity: str | None) -> bool:
        return not self.list_severities or severity in self.list_severities


def _snapshot(label: str, data: dict[str, Any], received_at: datetime) -> model.IncidentSeen:
    severity = data.get("severity")
    return model.IncidentSeen(
        subscription=label, received_at=received_at, data=data, severity=severity if isinstance(severity, str) else None
    )


NOT_ASKED: Any = object()  # no lookup could be made
MAX_REREADS = 2  # incidents re-read at once; more assignments wait their turn


class _Rereads:
    """Incidents to describe again, in the background so the stream never waits on them:
    one task per incident at a time, a few at once, all cancelled when the watch ends."""

    def __init__(self, reread: Callable[[str], Awaitable[None]]) -> None:
        self._reread = reread
        self._running: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(MAX_REREADS)

    def ask(self, incident_id: str | None) -> None:
        if incident_id is None or incident_id in self._running:
            return
        task = asyncio.get_running_loop().create_task(self._one(incident_id), name="incidents-reread")
        self._running[incident_id] = task
        task.add_done_callback(lambda _done: self._running.pop(incident_id, None))

    async def _one(self, incident_id: str) -> None:
        async with self._slots:
            with contextlib.suppress(IncidentsError):
                await self._reread(incident_id)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Lookups:
    """``incident(id)`` queries for incidents the stream has not described yet.

    One at a time, in stream order, once per incident. After MAX_FAILURES in a row (a
    server without the query, a socket that refuses queries and no HTTP endpoint) it stops
    asking for LOOKUP_PAUSE, then tries again; ``reason`` says why it could not ask.
    """

    def __init__(self, session: Session, documents: Documents, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._session = session
        self._documents = documents
        self._monotonic = monotonic
        self._failures = 0
        self._paused_until: float | None = None
        self.reason = "no lookup was possible"

    async def find(self, incident_id: str) -> Any:
        """The incident as the server describes it, None when it does not know it, or NOT_ASKED."""
        if self._paused_until is not None and self._monotonic() < self._paused_until:
            return NOT_ASKED
        lookup = self._documents.incident(incident_id)
        if lookup is None:
            self.reason = "the server has no incident(id) query"
            return NOT_ASKED
        try:
            data = await self._session.query(lookup, timeout=LOOKUP_TIMEOUT)
        except IncidentsError as error:
            self._failures += 1
            self.reason = f"looking it up failed: {error.message}"
            if self._failures >= MAX_FAILURES:
                self._paused_until = self._monotonic() + LOOKUP_PAUSE
            return NOT_ASKED
        self._failures, self._paused_until = 0, None
        incident = data.get("incident") if isinstance(data, dict) else None
        return incident if isinstance(incident, dict) else None
