"""The watch use case: the shell around tracking.py's Tracker. The session delivers events
and status; background queries (watch_queries.py) post their answers to the same inbox;
the tracker decides, and this shell carries out its actions. Returns when the run is over;
raises an errors.py type when it ends badly (the exit status is cli.py's business).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import field
from typing import Any

from incident_cli import model
from incident_cli.coverage import Coverage
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.inbox import Posted
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import Documents
from incident_cli.driver.session import Session
from incident_cli.errors import OperationRejected, Unavailable
from incident_cli.incident_filter import IncidentFilter, parse_states
from incident_cli.memory import Memory
from incident_cli.operations import Operation
from incident_cli.redact import display_url
from incident_cli.render import Output, record_output
from incident_cli.tracking import CheckIds, Done, LookUp, ReadList, Records, Report, Reread, Snapshot, Tracker, Write
from incident_cli.values import frozen
from incident_cli.watch_queries import Listings, Lookups, Rereads
from incident_cli.wording import plural


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
        run.finish()
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
    return WatchResult(events=run.tracker.written, reason=run.reason, alarming=run.tracker.alarming)


def _no_records(records: list[dict[str, Any]]) -> None:
    raise AssertionError("the tracker built records for an output that does not take them")


def _attempts(count: int) -> str:
    return plural(count, "failed attempt") if count else "the first attempt still under way"


class _Watch:
    """The shell around the tracker: feeds it what the session delivers and what the
    background queries answer, and carries out what it decides."""

    def __init__(
        self, session: Session, request: WatchRequest, output: Output, documents: Documents, memory: Memory,
        source: str | None,
    ) -> None:
        self.session = session
        self.server = display_url(session.url)  # as errors name it: never userinfo or a query string
        self.request = request
        self.output = output
        self.documents = documents
        memory = memory.scoped(source)  # this server's incidents, when several share the store
        records = record_output(output)  # JSON lines: the tracker's fast lane may build their records
        self.write_records = records.write_records if records is not None else _no_records
        self.tracker = Tracker(request, memory, source, records=records is not None)
        self.lookups = Lookups(session, documents, self.tracker.receive_lookup)
        self.rereads = Rereads(self.lookups, memory, output)
        self.listings = Listings(session, documents, self.tracker)  # the list query and the checks by id
        self.failures: list[str] = []
        self.gave_up = False  # an operation ended because the server kept failing it
        self.reason = "completed"
        self.coverage = Coverage(asyncio.get_running_loop().time())

    async def stream(self) -> None:
        batches = self.session.batches()
        loop = asyncio.get_running_loop()
        tracker = self.tracker
        receive, receive_result = tracker.receive_event, tracker.receive_result
        tracker.receive_tick(self.coverage.started)
        # Nothing here awaits but the next batch: queries run in the background and post their
        # answers back (Posted), so a slow lookup or list never holds the stream up (issue 23).
        while (batch := await self.next_batch(batches)) is not None:
            for event in batch:
                if isinstance(event, model.Result):
                    receive_result(event)  # the common case: the tracker decides, its records wait for the batch's end
                    continue
                if isinstance(event, model.StreamEvent):
                    receive(event)
                    continue
                self.carry_out()  # what came before a status line is written before it
                if isinstance(event, Posted):
                    event.run()
                else:
                    self.on_status(event, loop.time())
            tracker.receive_tick(loop.time())  # --idle-exit, the connect bound
            self.carry_out()

    def carry_out(self, *, final: bool = False) -> None:
        """What the tracker decided, in order (``final``: the watch is over: only what it writes)."""
        for action in self.tracker.actions_to_take():
            if type(action) is Records:
                self.write_records(action.records)
            elif isinstance(action, Write):
                self.output.write(action.event)
            elif isinstance(action, Snapshot):
                self.output.snapshot(action.event)
            elif isinstance(action, Report):
                self.output.report(action.event)
                if isinstance(action.event, model.GapRepaired):
                    self.coverage.repaired += 1
            elif final:
                continue
            elif isinstance(action, LookUp):
                self.lookups.ask(action.incident_id)
            elif isinstance(action, Reread):
                self.rereads.ask(action.incident_id)
            elif isinstance(action, ReadList):
                self.listings.read(action)
            elif isinstance(action, CheckIds):
                self.listings.check(action)
            elif isinstance(action, Done) and action.reason == "unreachable":
                raise Unavailable(
                    f"could not connect to {self.server} within {self.request.connect_within:g} s "
                    f"({_attempts(self.coverage.attempts)}): {self.coverage.last_failure or 'no answer to the first attempt'}")
            elif isinstance(action, Done):
                raise _Done(action.reason)

    def finish(self) -> None:
        """At the end: the tracker decides what still waited, and says what was never shown."""
        self.tracker.finish(self.reason)
        self.carry_out(final=True)

    async def close(self) -> None:
        """The background queries end with the watch."""
        await self.listings.close()
        await self.lookups.close()
        await self.rereads.close()

    async def next_batch(self, batches: AsyncIterator[list[model.Event]]) -> list[model.Event] | None:
        """The next events (None at the end; none when the tracker's wake-up time comes first)."""
        wake = self.tracker.wake_at()
        try:
            if wake is None:
                return await anext(batches)  # no timer per batch unless one is asked for
            async with asyncio.timeout_at(wake) as timer:
                return await anext(batches)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            if wake is None or not timer.expired():
                raise  # a timeout of the session's, not ours
            return []

    def on_status(self, event: model.StatusEvent, now: float) -> None:
        self.output.report(event)
        if isinstance(event, model.Connected):
            self.coverage.connected(now)
            facets = self.request.facets
            states = self.documents.enum("IncidentState")
            if facets and facets.states and states is not None:
                # --state against the server's own IncidentState: one it does not have would match nothing, for ever.
                parse_states(",".join(sorted(facets.states)), "--state", known=states)
            self.tracker.receive_connected(event)
        elif isinstance(event, model.Reconnecting):
            self.coverage.lost(now, event.reason)
        if isinstance(event, model.OperationEnded) and event.errors:
            self.failures.extend(event.errors)
            self.gave_up = self.gave_up or event.gave_up
