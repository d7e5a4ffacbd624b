"""The watch's decisions, sans I/O: a ``Tracker`` shaped like protocol.py.

It is fed what the shell (watch.py) receives: stream events, lookup answers, the list
query's pages, incidents checked by id, a connection made. It decides, in one place: the
severity filter and the others (team, state...), holding back what cannot be shown yet,
one record per change, the count bound, what a listing teaches and what a repair emits.
It is drained with ``actions_to_take()``: frozen values the shell carries out (write this
record, show this status, look this incident up, read the list, check these ids, done).
No asyncio, no clock reads, no I/O; synchronous whole-value tests (tests/test_tracking.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import datetime
from typing import Any

from incident_cli import model, streams
from incident_cli.fast_lane import NOT_TAKEN, FastLane
from incident_cli.filtering import UNKNOWN, Decision, HeldBack, SeverityIndex
from incident_cli.memory import Memory
from incident_cli.one_record import OneRecord
from incident_cli.repair import changed, left_the_list
from incident_cli.values import frozen
from incident_cli.wording import plural

MAX_ASKED = 1_000  # incidents waiting for a lookup at most; past it an event is decided as "not asked"
WAIT_LIMIT = 10_000  # later events of those incidents (or, with --backfill, of the first listing) held at most
NOT_ASKED: Any = object()  # a lookup's answer when none could be made
UNASKED: Any = object()  # an event that waited behind no lookup


# ---- what the shell is asked to do -------------------------------------------------------------


@frozen(kw_only=False)
class Write:
    """Write this record (it passed every filter)."""

    event: model.StreamEvent


@frozen(kw_only=False)
class Records:
    """Write these records, in order: built by the fast lane (envelope.py's shape). The tracker
    adds to the list while it is its last action; once drained it is the shell's."""

    records: list[dict[str, Any]]


@frozen(kw_only=False)
class Snapshot:
    """Let the output learn this incident (shown only when its label says so: backfill)."""

    event: model.IncidentSeen


@frozen(kw_only=False)
class Report:
    """Show this status line, warning, notice or heartbeat."""

    event: model.StatusEvent | model.Heartbeat


@frozen(kw_only=False)
class LookUp:
    """Ask the server for this incident (``incident(id)``), then ``receive_lookup``."""

    incident_id: str


@frozen(kw_only=False)
class Reread:
    """Describe this incident again in the background (its owner changed); not data."""

    incident_id: str


@frozen(kw_only=False)
class ReadList:
    """Read the list query page by page (``receive_page``, then ``listing_done`` or ``listing_failed``)."""

    connected: model.Connected
    first: bool


@frozen(kw_only=False)
class CheckIds:
    """Look these incidents up by id (``receive_checked`` per batch, then ``repair_done``)."""

    ids: tuple[str, ...]
    received_at: datetime
    connected: model.Connected


@frozen(kw_only=False)
class Done:
    """The run is over for this reason: "count", "resolved", "snapshot", "idle" (--idle-exit), or
    "unreachable" (a one-shot run's connect bound passed before any connection)."""

    reason: str


Action = Write | Records | Snapshot | Report | LookUp | Reread | ReadList | CheckIds | Done


class Tracker:
    """One watch's decisions. ``request`` is watch.WatchRequest (its bounds and filters);
    ``records``: the output takes records built here (JSON lines), so the fast lane may run."""

    def __init__(self, request: Any, memory: Memory, source: str | None = None, *, records: bool = False) -> None:
        self.request = request
        self.memory = memory = memory.scoped(source)  # this server's incidents, when several share the store
        self.index = SeverityIndex(memory)
        self.held = HeldBack()
        self.warned_hold = False
        # --severity: a shown event must carry its real severity (custom documents are the user's own)
        self.strict = bool(request.severities) and all(op.label != model.Label.CUSTOM for op in request.operations)
        self.facets = request.facets if request.facets else None  # None: no filter beyond severity
        self.only = request.only_ids or None  # --incident: the incidents followed
        # One record per change (one_record.py), unless every message is asked for.
        self.one_record = None if request.raw_streams else OneRecord(frozenset(op.label for op in request.operations))
        self.asked: dict[str, tuple[model.StreamEvent, frozenset[str] | None]] = {}  # looked up: the event that asked
        self.waiting = HeldBack(WAIT_LIMIT)  # later events of incidents being looked up, in order, untriaged
        self.early: deque[model.StreamEvent] | None = None  # events held while the first listing is shown
        self.deferred: list[str] | None = None  # lookups the first listing may make needless
        self.overflow = 0  # events let go past WAIT_LIMIT while the first listing was read
        self.synced = False  # the first listing is done
        self.lists = any(op.label in streams.INCIDENT_STREAMS for op in request.operations) and (
            request.repair or request.backfill) or request.once  # reads the list on each connection
        self.list_severities = request.severities or (
            streams.CRITICAL if {op.label for op in request.operations} == {streams.CRITICAL_INCIDENTS} else ()
        )
        self.tally = 0  # incidents a repair emitted so far (the listing, then the checks by id)
        self.written = 0
        self.cut = 0  # incidents a snapshot run left out past --limit
        self.alarming = 0
        self.finished: str | None = None  # the reason, once Done was asked for: nothing more is written
        self._actions: list[Action] = []
        # Time, as the shell tells it (receive_tick): no clock is read here.
        self.started: float | None = None
        self.last_data: float | None = None  # when data last came, for --idle-exit
        self.saw_data = False  # since the last tick
        self.connected = False  # ever
        # The fast lane (fast_lane.py) knows the severity filter alone: any other filter closes it.
        self.lane = FastLane(memory, self.one_record, request.follow_owners, self.asked, self.held) if (
            records and self.facets is None and self.only is None) else None

    def actions_to_take(self) -> list[Action]:
        """What to do, in order, since the last call."""
        actions, self._actions = self._actions, []
        return actions

    # ---- the stream ------------------------------------------------------------------------

    def receive_tick(self, now: float) -> None:
        """The time (the shell's clock: after each batch, and at ``wake_at``): --idle-exit counts
        from the last data (heartbeats and status do not reset it); a one-shot run gives up
        connecting after its bound."""
        started = self.started = now if self.started is None else self.started
        if self.saw_data or self.last_data is None:
            self.saw_data, self.last_data = False, now
        request = self.request
        if request.idle_exit is not None and now - self.last_data >= request.idle_exit:
            self._finish("idle")
        elif not self.connected and request.connect_within is not None and now - started >= request.connect_within:
            self._finish("unreachable")

    def wake_at(self) -> float | None:
        """When to tick next if nothing comes (None: only when something does)."""
        request, due = self.request, []
        if request.idle_exit is not None and self.last_data is not None:
            due.append(self.last_data + request.idle_exit)
        if not self.connected and request.connect_within is not None and self.started is not None:
            due.append(self.started + request.connect_within)
        return min(due, default=None)

    def receive_result(self, result: model.Result) -> None:
        """One result of a subscription, as decoded: the fast lane's when it is open and this is
        its case (its incident neither looked up nor held back), else made an event and decided
        as any."""
        lane = self.lane
        if lane is not None and self.early is None and self.finished is None:
            record = lane.take(result)
            if record is not NOT_TAKEN:
                self.saw_data = True
                if record is not None:
                    self._write_record(record)
                return
        self.receive_event(result.event())

    def receive_event(self, event: model.StreamEvent) -> None:
        """One data event (or heartbeat) from the stream."""
        if self.finished is not None:
            return
        self.saw_data = self.saw_data or type(event) is not model.Heartbeat
        if self.early is not None:
            self.early.append(event)  # --backfill: the list is shown first; what streams meanwhile waits
            if len(self.early) > WAIT_LIMIT:
                self.early.popleft()
                self.overflow += 1
        elif self.asked and event.incident_id in self.asked:
            self.waiting.hold(event, None)  # behind its incident's lookup: order kept per incident
        else:
            self._take(event)

    def _take(self, event: model.StreamEvent, found: Any = UNASKED, why: str = "") -> None:
        """Keep it, look its incident up, or hold it back (``found``: the answer of a lookup this
        event waited behind, which it does not ask again)."""
        decision = self._triage(event)
        if decision is Decision.KEEP:
            self._keep(event, None)
        elif decision is Decision.LOOKUP and found is not UNASKED:
            self._settle(event, event.scope.wanted, found, why)
        elif decision is Decision.LOOKUP:
            self._ask(event, event.scope.wanted)
        elif decision is Decision.HOLD:
            self._hold(event, event.scope.wanted, why or "the server does not know the incident")

    def _triage(self, event: model.StreamEvent) -> Decision | None:
        if isinstance(event, model.Heartbeat):
            self._actions.append(Report(event))  # heartbeats are liveness, not data, whatever the document
            return None
        # Under --team, --state...: a change that takes an incident out of the filter is shown (the
        # last word on it, as a selector's watch says an object left), so ask before the memory learns.
        was = self.facets.decide(self.memory.get(event.incident_id)) if self.facets is not None else None
        self.memory.observe(event)  # once per event: every reader of the memory sees it
        decision = self._decide(event, event.scope.wanted, within=event.scope.within, was=was)
        if self.held and isinstance(event, model.IncidentSeen):
            self._release(event.incident_id)  # it taught a severity: what waited for it goes first
        return decision

    def _decide(
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

    # ---- lookups ---------------------------------------------------------------------------

    def _ask(self, event: model.StreamEvent, wanted: frozenset[str] | None) -> None:
        """Its incident's severity (or team, state...) is not known yet: look it up; its later
        events wait behind it, others pass meanwhile."""
        incident_id = event.incident_id
        if incident_id is None or len(self.asked) >= MAX_ASKED:
            self._settle(event, wanted, NOT_ASKED, "too many incidents are being looked up")
            return
        self.asked[incident_id] = (event, wanted)
        if self.deferred is not None:
            self.deferred.append(incident_id)  # the first listing, under way, may describe it
        else:
            self._actions.append(LookUp(incident_id))

    def receive_lookup(self, incident_id: str, found: Any, reason: str = "no lookup was possible") -> None:
        """A lookup's answer (the incident's data, None when the server does not know it, or
        NOT_ASKED with ``reason``): decide the event that asked, then those that waited."""
        asked = self.asked.pop(incident_id, None)
        if asked is None or self.finished is not None:
            return
        why, learned = reason, None
        if found is None:
            self.index.learn(incident_id, UNKNOWN)
            why = "the server does not know the incident"
        elif found is not NOT_ASKED:
            learned = described(model.Label.LOOKUP, found, asked[0].received_at)
            self.memory.observe(learned)
            self.index.learn(incident_id, learned.severity or UNKNOWN)
            why = "the server gave no severity for it"
            self._release(incident_id)
        self._settle(*asked, found, why, learned)
        self._drain(incident_id, found, why)

    def _drain(self, incident_id: str, found: Any, why: str) -> None:
        """The events that waited behind a lookup, in order (a later one may start another)."""
        for event, _ in self.waiting.release(incident_id):
            if incident_id in self.asked:
                self.waiting.hold(event, None)
            else:
                self._take(event, found, why)

    def _settle(
        self, event: model.StreamEvent, wanted: frozenset[str] | None, found: Any, why: str,
        learned: model.IncidentSeen | None = None, *, listed: bool = False,
    ) -> None:
        """Decide an event after its lookup (``found``: the answer, None or NOT_ASKED; ``listed``:
        no lookup was needed, the first listing told)."""
        if listed:
            decision = self._decide(event, wanted)
        elif found is NOT_ASKED:
            decision = self.index.undecided(wanted=wanted, strict=self.strict or self.facets is not None)
        else:
            decision = self._decide(event, wanted)
            if decision is Decision.LOOKUP:
                decision = Decision.HOLD  # looked up, and still not described: never shown unverified
        if decision is Decision.HOLD:
            self._hold(event, wanted, why)
        elif decision is Decision.KEEP:
            self._keep(event, learned)

    def _hold(self, event: model.StreamEvent, wanted: frozenset[str] | None, why: str) -> None:
        """Under --severity an event is never shown with a severity nobody knows: it waits."""
        self.held.hold(event, wanted)
        if not self.warned_hold:
            self.warned_hold = True
            what = "the severity" if self.facets is None else "what the filter needs to know (severity, team, state...)"
            self._actions.append(Report(model.ClientWarning(message=(
                f"{what} of incident {str(event.incident_id)[:8]} is not known ({why}); under a filter, "
                "events about such incidents are held back until it is known, never shown unfiltered"
            ))))

    def _release(self, incident_id: str | None) -> None:
        """Its severity is known now: decide what was held for it, in the order it came."""
        for event, wanted in self.held.release(incident_id):
            decision = self._decide(event, wanted)
            if decision is Decision.KEEP:
                self._keep(event, None)
            elif decision in (Decision.HOLD, Decision.LOOKUP):
                self.held.hold(event, wanted)

    # ---- what is written -------------------------------------------------------------------

    def _keep(self, event: model.StreamEvent, learned: model.IncidentSeen | None) -> None:
        """Write an event that passed the filter (``learned``: what a lookup told about it)."""
        if self.finished is not None:
            return
        if learned is not None:
            self._actions.append(Snapshot(learned))  # only for incidents that pass the filter
        severity = event.severity or self.index.severity_of(event.incident_id)
        self._emit(event if severity == event.severity else model.with_severity(event, severity))
        if (self.request.follow_owners and isinstance(event, model.IncidentUpdated)
                and event.update.update_type == "ASSIGNED" and event.incident_id is not None):
            self._actions.append(Reread(event.incident_id))  # an update names no assignee: the view asks who

    def _emit(self, event: model.StreamEvent) -> None:
        if self.finished is not None:
            return
        self._actions.append(Write(event))
        self._count(event.severity)

    def _write_record(self, record: dict[str, Any]) -> None:
        """A record of the fast lane: one more in the last Records action, else a new one."""
        actions = self._actions
        if actions and type(actions[-1]) is Records:
            actions[-1].records.append(record)
        else:
            actions.append(Records([record]))
        self._count(record["severity"])

    def _count(self, severity: str | None) -> None:
        """One more written: the --fail-on tally, and the bounds that end the run."""
        self.written += 1
        if severity in self.request.fail_on:
            self.alarming += 1
        if self.request.count is not None and self.written >= self.request.count:
            self._finish("count")
        elif self.only is not None and all(_done(self.memory.get(key)) for key in self.only):
            self._finish("resolved")  # every incident followed is resolved or closed: as kubectl get -w of one pod

    def _finish(self, reason: str) -> None:
        if self.finished is None:
            self.finished = reason
            self._actions.append(Done(reason))

    def finish(self, reason: str) -> None:
        """The run is over (``reason``): what still waits behind a lookup is decided as never
        answered (shown without a severity where no filter needs one); what never became
        showable is said."""
        if reason != "count" and self.finished is None:
            for incident_id in list(self.asked):
                self.receive_lookup(incident_id, NOT_ASKED)
        count = self.held.close()
        if count:
            self._actions.append(Report(model.ClientWarning(
                message=f"{plural(count, 'event')} about incidents of unknown severity not shown "
                "(--severity could not verify them)"
            )))
        waited = self.waiting.close() + self.overflow
        if waited and reason != "count":  # --count reached: what still waited is past the bound, as unread events are
            self._actions.append(Report(model.ClientWarning(
                message=f"{plural(waited, 'event')} not shown: they waited behind queries the server had not "
                f"answered (at most {WAIT_LIMIT:,} wait)"
            )))

    # ---- the list, then the stream; and repair after a gap ---------------------------------

    def receive_connected(self, connected: model.Connected) -> None:
        """A connection is up: read the list (the first time to learn what is open, and show it
        when asked; after a reconnect, to emit what changed while away)."""
        self.connected = True
        if not self.lists or self.finished is not None:
            return
        first = not self.synced
        if not first and not self.request.repair:
            return
        self.tally = 0
        if first:
            self.deferred = self.deferred if self.deferred is not None else []
            if self.request.once:
                self.early = deque(maxlen=0)  # a snapshot is the list alone: what streams meanwhile is not data
            elif self.request.backfill and self.early is None:
                self.early = deque()
        self._actions.append(ReadList(connected, first))

    def cannot_list(self) -> None:
        """The server has no list query: just stream (a snapshot has nothing to show)."""
        self.lists = False
        if self.request.once:
            self._finish("snapshot")
        else:
            self._after_first_listing()

    def receive_page(self, page: list[dict[str, Any]], first: bool, received_at: datetime, listed: set[str]) -> None:
        """One page of the list query (``listed`` collects the ids across pages)."""
        for item in page:
            snapshot = described(model.Label.BACKFILL, item, received_at)
            listed.add(snapshot.incident_id or "")
            if first:
                self._learn_listed(snapshot, received_at)
            elif changed(self.memory, snapshot.incident) and self._passes(snapshot, observe=True):
                self.tally += self._repaired(snapshot)

    def listing_failed(self, message: str, first: bool, *, stopping: bool = False) -> None:
        if not stopping:  # a clean exit cuts the query short: nothing to warn about
            warning = f"listing active incidents failed, so gaps cannot be repaired: {message}"
            self._actions.append(Report(model.ClientWarning(message=warning)))
        self.lists = False
        self._listed(first)

    def listing_done(self, connected: model.Connected, first: bool, listed: set[str], received_at: datetime) -> None:
        if first:
            self.synced = True
            self._listed(first)
            return
        left = left_the_list(self.memory, listed, self.list_severities)
        self._actions.append(CheckIds(tuple(left), received_at, connected))

    def _listed(self, first: bool) -> None:
        """The first listing is over (or failed): a --limit cut is said; a snapshot run ends;
        what waited for it is decided."""
        if first and self.cut:  # --limit: never a silent cut
            shown = self.written
            self._actions.append(Report(model.Notice(message=f"showing {shown:,} of {shown + self.cut:,} (--limit)")))
        if self.request.once:
            self._finish("snapshot")
            return
        if first:
            self._after_first_listing()

    def _after_first_listing(self) -> None:
        """Events held for --backfill, then the lookups the listing made needless (decided from
        what it told) or still needed (asked now)."""
        early, self.early = self.early, None
        for event in early or ():
            if self.asked and event.incident_id in self.asked:
                self.waiting.hold(event, None)
            else:
                self._take(event)
        deferred, self.deferred = self.deferred, None
        for incident_id in deferred or ():
            event, wanted = self.asked[incident_id]
            if self._decide(event, wanted) is Decision.LOOKUP:
                self._actions.append(LookUp(incident_id))
                continue
            del self.asked[incident_id]
            self._settle(event, wanted, UNASKED, "the server does not know the incident", listed=True)
            self._drain(incident_id, UNASKED, "")

    def _learn_listed(self, snapshot: model.IncidentSeen, received_at: datetime) -> None:
        """One incident of the first listing: the memory learns it; a snapshot run writes it (up
        to --limit); a watch shows it when backfilling, else only lets the output learn its title."""
        self.memory.observe(snapshot)
        self.index.learn(snapshot.incident_id, snapshot.severity)
        self._release(snapshot.incident_id)
        wanted = self._recent(snapshot, received_at) and self._passes(snapshot)
        if self.request.once:
            if wanted and (self.request.limit is None or self.written < self.request.limit):
                self._emit(snapshot)  # a snapshot run: the list is the data
            elif wanted:
                self.cut += 1
            return
        shown = self.request.backfill and wanted
        self._actions.append(Snapshot(snapshot if shown else replace(snapshot, subscription=model.Label.BASELINE)))

    def receive_checked(self, batch: list[str], data: dict[str, Any], received_at: datetime, vanished: list[str]) -> None:
        """One batch of incidents checked by id: resolved or closed ones emitted, unknown ones forgotten."""
        for number, incident_id in enumerate(batch):
            incident = data.get(f"i{number}")
            if not isinstance(incident, dict):
                vanished.append(incident_id)  # the server does not know it (any more)
                self.memory.forget(incident_id)
                continue
            snapshot = described(model.Label.REPAIR, incident, received_at)
            if (changed(self.memory, snapshot.incident) and self._wanted_severity(snapshot.severity)
                    and self._passes(snapshot, observe=True)):
                self.tally += self._repaired(snapshot)

    def repair_done(self, connected: model.Connected, vanished: list[str], unverified: int) -> None:
        self._actions.append(Report(model.GapRepaired(downtime=connected.downtime, repaired=self.tally,
                                                      vanished=tuple(vanished), unverified=unverified)))

    def _passes(self, snapshot: model.IncidentSeen, *, observe: bool = False) -> bool:
        """The filters beyond severity, for a listed incident (described, so never "not known")."""
        if self.only is not None and snapshot.incident_id not in self.only:
            return False
        if self.facets is None:
            return True
        was = None
        if observe:  # a repair compares with the memory first, then lets it learn
            was = self.facets.decide(self.memory.get(snapshot.incident_id))
            self.memory.observe(snapshot)
        # As for a live change: one that took the incident out of the filter while we were away is shown.
        return self.facets.decide(self.memory.get(snapshot.incident_id)) is True or was is True

    def _recent(self, snapshot: model.IncidentSeen, now: datetime) -> bool:
        """--since: the list queries take no time filter, so it is applied here."""
        if self.request.since is None:
            return True
        stamp = model.parse_time(snapshot.incident.updated_at) or model.parse_time(snapshot.incident.created_at)
        return stamp is None or (now - stamp).total_seconds() <= self.request.since

    def _repaired(self, snapshot: model.IncidentSeen) -> int:
        self.memory.observe(snapshot)
        self.index.learn(snapshot.incident_id, snapshot.severity)
        self._release(snapshot.incident_id)
        self._emit(replace(snapshot, subscription=model.Label.REPAIR))
        return 1

    def _wanted_severity(self, severity: str | None) -> bool:
        return not self.list_severities or severity in self.list_severities


def described(label: str, data: dict[str, Any], received_at: datetime) -> model.IncidentSeen:
    """An incident as a list or a lookup described it, as an event of ``label``."""
    severity = data.get("severity")
    return model.IncidentSeen(
        subscription=label, received_at=received_at, data=data, severity=severity if isinstance(severity, str) else None
    )


def _done(known: Any) -> bool:
    return known is not None and known.state in model.DONE_STATES
