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
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from incident_cli import model, streams
from incident_cli.coverage import Coverage
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.inbox import Posted
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
MAX_LOOKUPS = 2  # incident(id) queries in flight at once; the rest wait their turn, in stream order
MAX_ASKED = 1_000  # incidents waiting for a lookup at most; past it an event is decided as "not asked"
WAIT_LIMIT = 10_000  # later events of those incidents held in order at most; past it the oldest go
NOT_ASKED: Any = object()  # a lookup's answer when none could be made
UNASKED: Any = object()  # an event that waited behind no lookup


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
    only_ids: frozenset[str] = frozenset()  # --incident: only these; the run ends when every one is done


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
            await run.close()
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
        self.only = request.only_ids or None  # --incident: the incidents followed
        # One record per change (one_record.py), unless every message is asked for.
        self.one_record = None if request.raw_streams else OneRecord(frozenset(op.label for op in request.operations))
        self.lookups = _Lookups(session, documents, self.answered)
        self.asked: dict[str, tuple[model.StreamEvent, frozenset[str] | None]] = {}  # looked up: the event that asked
        self.waiting = HeldBack(WAIT_LIMIT)  # later events of incidents being looked up, in order, untriaged
        self.rereads = _Rereads(self.reread)
        self.synced = False  # the first list query has been made
        self.listing: asyncio.Task[None] | None = None  # the list query, read in the background
        self.tally = 0  # incidents a repair emitted so far (the listing, then the checks by id)
        self.early: deque[model.StreamEvent] | None = None  # events held while the first listing is shown (--backfill)
        self.deferred: list[str] | None = None  # lookups the first listing may make needless
        self.overflow = 0  # events let go past WAIT_LIMIT while the first listing was read
        self.sync_enabled = any(op.label in streams.INCIDENT_STREAMS for op in request.operations) and (
            request.repair or request.backfill
        )
        self.list_severities = request.severities or (
            streams.CRITICAL if {op.label for op in request.operations} == {streams.CRITICAL_INCIDENTS} else ()
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
        # Nothing here awaits but the next batch: queries run in the background and post their
        # answers back (Posted), so a slow lookup or list never holds the stream up (issue 23).
        while (batch := await self.next_batch(batches, loop)) is not None:
            for event in batch:
                if isinstance(event, model.StreamEvent):
                    if self.early is not None:
                        self.hold_early(event)
                    elif self.asked and event.incident_id in self.asked:
                        self.waiting.hold(event, None)  # behind its incident's lookup: order kept per incident
                    else:
                        self.take(event)
                elif isinstance(event, Posted):
                    event.run()
                else:
                    self.on_status(event, loop.time())

    def hold_early(self, event: model.StreamEvent) -> None:
        """--backfill: the list is shown first; what streams meanwhile waits, WAIT_LIMIT at most."""
        assert self.early is not None
        self.early.append(event)
        if len(self.early) > WAIT_LIMIT:
            self.early.popleft()
            self.overflow += 1

    def take(self, event: model.StreamEvent, found: Any = UNASKED, why: str = "") -> None:
        """One data event: keep it, look its incident up, or hold it back (``found``: the answer
        of a lookup this event waited behind, which it does not ask again)."""
        decision = self.triage(event)  # the common case, KEEP, costs no coroutine (issue 7)
        if decision is Decision.KEEP:
            self.keep(event, None)
        elif decision is Decision.LOOKUP and found is not UNASKED:
            self.settle(event, event.scope.wanted, found, why)
        elif decision is Decision.LOOKUP:
            self.ask(event, event.scope.wanted)
        elif decision is Decision.HOLD:
            self.hold(event, event.scope.wanted, why or "the server does not know the incident")

    async def close(self) -> None:
        """The background queries end with the watch."""
        if self.listing is not None:
            self.listing.cancel()
            await asyncio.gather(self.listing, return_exceptions=True)
        await self.lookups.close()
        await self.rereads.close()

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

    def on_status(self, event: model.StatusEvent, now: float) -> None:
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
            self.start_listing(event)

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
        if self.only is not None and event.incident_id not in self.only:
            return Decision.DROP
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

    def ask(self, event: model.StreamEvent, wanted: frozenset[str] | None) -> None:
        """An event whose incident's severity (or team, state...) is not known yet: look it up in
        the background; its incident's later events wait behind it, others pass meanwhile."""
        incident_id = event.incident_id
        if incident_id is None or len(self.asked) >= MAX_ASKED:
            self.settle(event, wanted, NOT_ASKED, "too many incidents are being looked up")
            return
        self.asked[incident_id] = (event, wanted)
        if self.deferred is not None:
            self.deferred.append(incident_id)  # the first listing, under way, may describe it
        else:
            self.lookups.ask(incident_id)

    def after_first_listing(self) -> None:
        """What waited for the first listing: events held for --backfill, then the lookups it made
        needless (decided from what it told) or still needed (asked now)."""
        early, self.early = self.early, None
        for event in early or ():
            if self.asked and event.incident_id in self.asked:
                self.waiting.hold(event, None)
            else:
                self.take(event)
        deferred, self.deferred = self.deferred, None
        for incident_id in deferred or ():
            event, wanted = self.asked[incident_id]
            if self.decide(event, wanted) is Decision.LOOKUP:
                self.lookups.ask(incident_id)
                continue
            del self.asked[incident_id]
            self.settle(event, wanted, UNASKED, "the server does not know the incident", listed=True)
            self.drain(incident_id, UNASKED, "")

    def answered(self, incident_id: str, found: Any) -> None:
        """A lookup's answer (Posted): decide the event that asked, then those that waited."""
        asked = self.asked.pop(incident_id, None)
        if asked is None:
            return
        why = self.lookups.reason
        learned = None
        if found is None:
            self.index.learn(incident_id, UNKNOWN)
            why = "the server does not know the incident"
        elif found is not NOT_ASKED:
            learned = _snapshot(model.Label.LOOKUP, found, asked[0].received_at)
            self.memory.observe(learned, self.source)
            self.index.learn(incident_id, learned.severity or UNKNOWN)
            why = "the server gave no severity for it"
            self.release(incident_id)
        self.settle(*asked, found, why, learned)
        self.drain(incident_id, found, why)

    def drain(self, incident_id: str, found: Any, why: str) -> None:
        """The events that waited behind a lookup, in order (a later one may start another)."""
        for event, _ in self.waiting.release(incident_id):
            if incident_id in self.asked:
                self.waiting.hold(event, None)
            else:
                self.take(event, found, why)

    def settle(
        self, event: model.StreamEvent, wanted: frozenset[str] | None, found: Any, why: str,
        learned: model.IncidentSeen | None = None, *, listed: bool = False,
    ) -> None:
        """Decide an event after its lookup (``found``: the answer, None or NOT_ASKED; ``listed``:
        no lookup was needed, the first listing told)."""
        if listed:
            decision = self.decide(event, wanted)
        elif found is NOT_ASKED:
            decision = self.index.undecided(wanted=wanted, strict=self.strict or self.facets is not None)
        else:
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
        """At the end: what still waits behind a lookup is decided as never answered (shown
        without a severity when no filter needs one); then say what never became showable."""
        with contextlib.suppress(_Done):
            for incident_id in list(self.asked) if self.reason != "count" else ():
                self.answered(incident_id, NOT_ASKED)
        count = self.held.close()
        if count:
            self.output.report(model.ClientWarning(
                message=f"{plural(count, 'event')} about incidents of unknown severity not shown "
                "(--severity could not verify them)"
            ))
        waited = self.waiting.close() + self.overflow
        if waited and self.reason != "count":  # --count reached: what still waited is past the bound, as unread events are
            self.output.report(model.ClientWarning(
                message=f"{plural(waited, 'event')} not shown: they waited behind queries the server had not "
                f"answered (at most {WAIT_LIMIT:,} wait)"
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
        if self.only is not None and all(_done(self.memory.get(key)) for key in self.only):
            raise _Done("resolved")  # every incident followed is resolved or closed: as kubectl get -w of one pod ends

    # ---- list, then watch; and repair after a gap -------------------------------------

    def start_listing(self, connected: model.Connected) -> None:
        """The list query, read page by page in the background (each page Posted back): the first
        time to learn what is open (and show it when asked); after a reconnect, to emit what changed
        while away and to check, by id, what the view held that the list no longer has."""
        first = not self.synced
        if not first and not self.request.repair:
            return
        if not self.documents.can_list():
            self.sync_enabled = False  # the server cannot list: just stream
            if self.request.once:
                raise _Done("snapshot")
            return
        if self.listing is not None:
            self.listing.cancel()  # a listing of a connection that is gone: this one replaces it
        self.tally = 0
        if first:
            self.deferred = self.deferred if self.deferred is not None else []
            if self.request.once:
                self.early = deque(maxlen=0)  # a snapshot is the list alone: what streams meanwhile is not data
            elif self.request.backfill and self.early is None:
                self.early = deque()
        self.listing = asyncio.get_running_loop().create_task(self.list_pages(connected, first), name="incidents-list")

    async def list_pages(self, connected: model.Connected, first: bool) -> None:
        received_at = datetime.now(UTC)
        listed: set[str] = set()
        ask = lambda operation: self.session.query(operation, timeout=LOOKUP_TIMEOUT)  # noqa: E731
        try:
            async for page in self.documents.pages(ask, severities=self.list_severities):
                self.session.post(partial(self.take_page, page, first, received_at, listed))
        except IncidentsError as error:
            self.session.post(partial(self.listing_failed, error, first))
            return
        self.session.post(partial(self.listing_done, connected, first, listed, received_at))

    def take_page(self, page: list[dict[str, Any]], first: bool, received_at: datetime, listed: set[str]) -> None:
        for item in page:
            snapshot = _snapshot(model.Label.BACKFILL, item, received_at)
            listed.add(snapshot.incident_id or "")
            if first:
                self.learn_listed(snapshot, received_at)
            elif changed(self.memory, snapshot.incident) and self._passes(snapshot, observe=True):
                self.tally += self.repaired(snapshot)

    def listing_failed(self, error: IncidentsError, first: bool) -> None:
        if not self.session.stopping:  # a clean exit cuts the query short: nothing to warn about
            warning = f"listing active incidents failed, so gaps cannot be repaired: {error}"
            self.output.report(model.ClientWarning(message=warning))
        self.sync_enabled = False
        self.listed(first)
        if first:
            self.after_first_listing()

    def listing_done(self, connected: model.Connected, first: bool, listed: set[str], received_at: datetime) -> None:
        if first:
            self.synced = True
            self.listed(first)
            self.after_first_listing()
            return
        left = left_the_list(self.memory, listed, self.source, self.list_severities)
        self.listing = asyncio.get_running_loop().create_task(
            self.verify(left, received_at, connected), name="incidents-verify"
        )

    def listed(self, first: bool) -> None:
        """The first listing is over (or failed): a --limit cut is said; a snapshot run ends."""
        if first and self.cut:  # --limit: never a silent cut
            shown = self.written
            self.output.report(model.Notice(message=f"showing {shown:,} of {shown + self.cut:,} (--limit)"))
        if self.request.once:
            raise _Done("snapshot")

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

    async def verify(self, ids: list[str], received_at: datetime, connected: model.Connected) -> None:
        """Incidents that left the active list while we were away, looked up REPAIR_BATCH at a time
        within REPAIR_BUDGET; each answer is Posted back, then the repair is reported."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPAIR_BUDGET
        vanished: list[str] = []
        unverified = 0
        for start in range(0, len(ids), REPAIR_BATCH):
            batch = ids[start : start + REPAIR_BATCH]
            lookup = self.documents.incidents(batch)
            left = deadline - loop.time()
            data = None
            if lookup is not None and left > 0:
                with contextlib.suppress(IncidentsError):
                    data = await self.session.query(lookup, timeout=min(LOOKUP_TIMEOUT, left))
            if not isinstance(data, dict):
                unverified = len(ids) - start
                break
            self.session.post(partial(self.checked, batch, data, received_at, vanished))
        self.session.post(partial(self.repair_done, connected, vanished, unverified))

    def checked(self, batch: list[str], data: dict[str, Any], received_at: datetime, vanished: list[str]) -> None:
        """One batch of incidents checked by id: resolved or closed ones emitted, unknown ones forgotten."""
        for number, incident_id in enumerate(batch):
            incident = data.get(f"i{number}")
            if not isinstance(incident, dict):
                vanished.append(incident_id)  # the server does not know it (any more)
                self.memory.forget(incident_id)
                continue
            snapshot = _snapshot(model.Label.REPAIR, incident, received_at)
            if (changed(self.memory, snapshot.incident) and self._wanted_severity(snapshot.severity)
                    and self._passes(snapshot, observe=True)):
                self.tally += self.repaired(snapshot)

    def repair_done(self, connected: model.Connected, vanished: list[str], unverified: int) -> None:
        self.output.report(model.GapRepaired(downtime=connected.downtime, repaired=self.tally,
                                             vanished=tuple(vanished), unverified=unverified))
        self.coverage.repaired += 1

    def _passes(self, snapshot: model.IncidentSeen, *, observe: bool = False) -> bool:
        """The filters beyond severity, for a listed incident (described, so never "not known")."""
        if self.only is not None and snapshot.incident_id not in self.only:
            return False
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


def _done(known: Any) -> bool:
    return known is not None and known.state in model.DONE_STATES


def _snapshot(label: str, data: dict[str, Any], received_at: datetime) -> model.IncidentSeen:
    severity = data.get("severity")
    return model.IncidentSeen(
        subscription=label, received_at=received_at, data=data, severity=severity if isinstance(severity, str) else None
    )


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
    """``incident(id)`` queries for incidents the stream has not described yet, in the
    background: MAX_LOOKUPS at a time, in stream order, once per incident; each answer is
    Posted back to ``answered``. After MAX_FAILURES in a row (a server without the query, a
    socket that refuses queries and no HTTP endpoint) it stops asking for LOOKUP_PAUSE, then
    tries again; ``reason`` says why it could not ask.
    """

    def __init__(
        self, session: Session, documents: Documents, answered: Callable[[str, Any], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._documents = documents
        self._answered = answered
        self._monotonic = monotonic
        self._failures = 0
        self._paused_until: float | None = None
        self._queue: deque[str] = deque()
        self._running: set[asyncio.Task[None]] = set()
        self.reason = "no lookup was possible"

    def ask(self, incident_id: str) -> None:
        self._queue.append(incident_id)
        self._start()

    def _start(self) -> None:
        while self._queue and len(self._running) < MAX_LOOKUPS:
            incident_id = self._queue.popleft()
            task = asyncio.get_running_loop().create_task(self._one(incident_id), name="incidents-lookup")
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            self._start()

    async def _one(self, incident_id: str) -> None:
        found = await self.find(incident_id)
        self._session.post(partial(self._answered, incident_id, found))

    async def close(self) -> None:
        self._queue.clear()
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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
