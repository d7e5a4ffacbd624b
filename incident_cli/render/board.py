"""The on-call board as a pure reducer: events in, incidents by id out, sorted and bounded.

No clock and no I/O (house rule 1): every call takes ``now``. The table and the console
draw what ``view()`` returns; tests drive it with plain values. The order is stable
(severity, then newest opened first): a comment does not move a row, it marks it changed,
and the view highlights it for a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from incident_cli import model
from incident_cli.incident_filter import IncidentFilter
from incident_cli.memory import UNKNOWN, Memory, Shown
from incident_cli.model import DONE_STATES, parse_time
from incident_cli.values import frozen

SEVERITY_ORDER = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "P4": 4}
KEEP_RESOLVED = 300.0  # seconds a resolved incident stays on the board, dimmed
HIGHLIGHT = 5.0  # seconds a changed row stands out
HISTORY = 20  # updates kept per incident for the detail view
ORDERS = ("severity", "activity", "age", "team")  # what the console's "s" cycles through
CAPACITY = 2_000  # incidents remembered at most, whatever the stream does
STALE_FACTOR = 3.0  # missing this many heartbeats in a row is stale


@dataclass(slots=True, kw_only=True)
class Row:
    """One incident on the board. The row keeps what the view knows (when it was first seen, its
    last change, the updates seen, since when it is done); the incident's facts are the memory's
    record (``known``), the one the watch decides by, read as the row is drawn."""

    id: str
    source: str | None = None
    known: Shown = field(default_factory=Shown)
    first_seen: datetime | None = None  # AGE when the server gave no createdAt
    last_activity: datetime | None = None
    last_change: str | None = None  # "ASSIGNED", "NEW→INVESTIGATING", ...
    done_since: datetime | None = None  # when the board saw it resolved or closed
    history: list[tuple[datetime, str]] = field(default_factory=list)  # updates seen, newest last

    @property
    def severity(self) -> str | None:
        """Its exact severity: not UNKNOWN, nor the set a filtered stream said it is one of."""
        severity = self.known.severity
        return severity if isinstance(severity, str) and severity != UNKNOWN else None

    @property
    def title(self) -> str | None:
        return self.known.title

    @property
    def state(self) -> str | None:
        return self.known.state

    @property
    def owner(self) -> str | None:
        return self.known.assignee

    @property
    def labels(self) -> dict[str, str]:
        return self.known.labels

    @property
    def team(self) -> str | None:
        return self.known.labels.get("team")

    @property
    def category(self) -> str | None:
        return self.known.kind

    @property
    def resources(self) -> tuple[str, ...]:
        return self.known.resources

    @property
    def description(self) -> str | None:
        return self.known.description

    @property
    def opened(self) -> datetime | None:
        return self.known.opened or self.first_seen

    @property
    def updated(self) -> datetime | None:
        return parse_time(self.known.updated)

    @property
    def resolved(self) -> datetime | None:
        return self.known.resolved

    @property
    def done(self) -> bool:
        return self.known.state in DONE_STATES

    def saw(self, now: datetime, what: str) -> None:
        """One update seen for it, for the detail view (the last HISTORY kept)."""
        self.history.append((now, what))
        del self.history[:-HISTORY]

    def matches(self, text: str, shown: Collection[str] | None = None) -> bool:
        """The console's filter: ``text`` in what the row shows (``shown``: the column keys on
        screen, so a row never matches for a reason nobody can see), or in any field."""
        needle = text.casefold()
        return any(needle in value.casefold() for value in self.texts(shown) if value)

    def texts(self, shown: Collection[str] | None = None) -> list[str | None]:
        """The row's text in the columns ``shown`` (every field when None): the id as drawn, 8 characters."""
        by_column: dict[str, list[str | None]] = {
            "sev": [self.severity], "source": [self.source], "id": [self.id[:8] if shown is not None else self.id],
            "title": [self.title], "owner": [self.owner], "team": [self.team], "state": [self.state],
            "type": [self.category], "resources": list(self.resources), "last": [self.last_change],
        }
        if shown is None:
            return [*(text for texts in by_column.values() for text in texts),
                    *(f"{key}={value}" for key, value in self.labels.items())]
        found: list[str | None] = []
        for key in shown:
            found += [self.labels.get(key[6:])] if key.startswith("label:") else by_column.get(key, [])
        return found

    def changed_within(self, now: datetime, seconds: float = HIGHLIGHT) -> bool:
        return self.last_activity is not None and (now - self.last_activity).total_seconds() < seconds

    def sort_key(self) -> tuple[int, int, float, str]:
        """Stable: done last, then severity, then the newest opened first."""
        opened = -self.opened.timestamp() if self.opened else 0.0
        return (1 if self.done else 0, SEVERITY_ORDER.get(self.severity or "", 5), opened, self.id)

    def order_key(self, order: str) -> tuple[object, ...]:
        """The key for one of ORDERS; each keeps done rows last."""
        done = 1 if self.done else 0
        if order == "activity":
            return (done, -(self.last_activity.timestamp() if self.last_activity else 0.0), self.id)
        if order == "age":
            return (done, self.opened.timestamp() if self.opened else 0.0, self.id)
        if order == "team":
            return (done, self.team is None, (self.team or "").casefold(), *self.sort_key()[1:])
        return self.sort_key()


@dataclass(slots=True, kw_only=True)
class Connection:
    """What the status line says about the link."""

    server: str = ""
    state: str = "connecting"  # connecting, live, reconnecting, gave up, ended
    subprotocol: str | None = None
    retry_at: datetime | None = None
    attempt: int = 0
    reason: str | None = None
    disconnects: int = 0
    last_gap: timedelta | None = None
    repaired: int | None = None  # incidents re-emitted after the last gap
    down_since: datetime | None = None


@frozen
class View:
    """What one frame of the table shows."""

    rows: tuple[Row, ...]
    hidden: dict[str, int]  # severity -> open rows not shown
    hidden_done: int  # resolved or closed rows not shown
    counts: dict[str, int]  # active incidents by severity
    stale: bool
    matched: int  # rows that pass the view's filter, shown or not


@dataclass
class Board:
    """The table's state: rows, connection and counts. ``memory``: the watch's (which it writes
    before the board is told), keeping what the table shows; else the board keeps its own."""

    keep_resolved: float = KEEP_RESOLVED
    capacity: int = CAPACITY
    heartbeat_period: float | None = None  # set when a stream carries heartbeats
    subscriptions: tuple[str, ...] = ()
    rows: dict[str, Row] = field(default_factory=dict)
    connection: Connection = field(default_factory=Connection)
    events: int = 0
    last_message: datetime | None = None
    sources: dict[str, Connection] = field(default_factory=dict)  # per server, when several
    replay: tuple[str, float] | None = None  # (recording, speed): a replay, not a live stream
    only: IncidentFilter = field(default_factory=IncidentFilter)  # --team, --state...: rows that leave it are not drawn
    severities: tuple[str, ...] = ()  # --severity (the stream's own filter): said, with ``only``
    memory: Memory | None = None
    _own: bool = False  # the memory is the board's: it learns from what the board is told

    def __post_init__(self) -> None:
        self._own = self.memory is None
        if self.memory is None:
            self.memory = Memory(views=True)
        elif not self.memory.views:
            raise ValueError("a board reads a memory that keeps what the table shows (Memory(views=True))")

    # ---- reducers ----------------------------------------------------------------------

    def apply(self, event: model.StreamEvent, now: datetime) -> None:
        """A data event from the stream."""
        self.events += 1
        self.last_message = now
        row = self._row(event, now)
        if row is None:
            return
        row.last_activity = now
        match event:
            case model.IncidentSeen():
                row.last_change = row.last_change or "opened"
                row.saw(now, "opened" if event.subscription != model.Label.REPAIR else "changed while away")
            case model.IncidentUpdated(update=update):
                row.last_change = update.update_type or "UPDATED"
                row.saw(now, row.last_change)
            case model.StateChanged(change=change):
                row.last_change = f"{change.old_state or '?'}\u2192{change.new_state or '?'}"
                row.saw(now, row.last_change + (f" by {change.changed_by}" if change.changed_by else ""))
        self._bound()

    def learn(self, event: model.IncidentSeen, now: datetime) -> None:
        """An incident a list or lookup query described: the row is filled without counting an event."""
        row = self._row(event, now)
        if row is not None and row.last_activity is None:
            row.last_activity = row.opened or now
        self._bound()

    def alive(self, now: datetime) -> None:
        """A heartbeat or any other sign of life."""
        self.last_message = now

    def status(self, event: model.StatusEvent, now: datetime, source: str | None = None) -> None:
        link = self.connection if source is None else self.sources.setdefault(source, Connection(server=source))
        match event:
            case model.Connected(server=server, subprotocol=subprotocol, downtime=downtime):
                if downtime is not None:  # from the last message before the loss (the session knows it)
                    link.last_gap = timedelta(seconds=downtime)
                elif link.down_since is not None:
                    link.last_gap = now - link.down_since
                link.server, link.subprotocol, link.state = server, subprotocol, "live"
                link.retry_at, link.reason, link.down_since = None, None, None
                self.last_message = now
            case model.GapRepaired(repaired=repaired, vanished=vanished):
                link.repaired = repaired
                for incident_id in vanished:  # the server no longer knows them: the view must not either
                    self.rows.pop(incident_id if source is None else f"{source}/{incident_id}", None)
            case model.Reconnecting(reason=reason, attempt=attempt, delay=delay):
                if link.state == "live":
                    link.disconnects += 1
                    link.down_since = now
                link.state, link.reason, link.attempt = "reconnecting", reason, attempt
                link.retry_at = now + timedelta(seconds=delay)

    def reset(self) -> None:
        """Every row forgotten (a replay seeking back plays again from the start), and what the
        board's own memory learned with them."""
        self.rows.clear()
        self.events = 0
        if self._own:
            self.memory = Memory(views=True)

    def ended(self, reason: str | None) -> None:
        self.connection.state = "gave up" if reason else "ended"
        self.connection.reason = reason

    # ---- views -------------------------------------------------------------------------

    def filters(self) -> str:
        """Every filter the rows pass, for the status line: ``P0|P1, team payments``."""
        said = ["|".join(self.severities)] if self.severities else []
        return ", ".join(said + ([self.only.describe()] if self.only else []))

    def view(
        self, now: datetime, limit: int | None, *, order: str = "severity", keep: Callable[[Row], bool] | None = None
    ) -> View:
        """The rows to draw: ``keep`` filters them (the console's /), ``order`` is one of ORDERS,
        ``limit`` None is every row (a list that is never cropped)."""
        self._expire(now)
        rows = [row for row in self.rows.values() if self._within(row) and (keep is None or keep(row))]
        ordered = sorted(rows, key=Row.sort_key) if order == "severity" else sorted(rows, key=lambda r: r.order_key(order))
        shown = tuple(ordered if limit is None else ordered[: max(limit, 0)])
        hidden: dict[str, int] = {}
        hidden_done = 0
        for row in ordered[len(shown) :]:
            if row.done:
                hidden_done += 1
            else:
                key = row.severity or "?"
                hidden[key] = hidden.get(key, 0) + 1
        counts: dict[str, int] = {}
        for row in self.rows.values():
            if not row.done and self._within(row):
                key = row.severity or "?"
                counts[key] = counts.get(key, 0) + 1
        return View(rows=shown, hidden=hidden, hidden_done=hidden_done, counts=counts, stale=self.stale(now),
                     matched=len(ordered))

    @property
    def disconnected(self) -> bool:
        """A live stream was lost (or given up): its rows are what was last seen, not what is."""
        return self.replay is None and self.connection.state in ("reconnecting", "gave up")

    def stale(self, now: datetime) -> bool:
        if self.heartbeat_period is None or self.last_message is None or self.connection.state != "live":
            return False
        return (now - self.last_message).total_seconds() > self.heartbeat_period * STALE_FACTOR

    # ---- internals ---------------------------------------------------------------------

    def _within(self, row: Row) -> bool:
        """Under --team, --state...: an incident that left the filter (its last change was shown) is not drawn."""
        return not self.only or self.only.matches(title=row.title, assignee=row.owner, labels=row.labels, state=row.state)

    def _row(self, event: model.StreamEvent, now: datetime) -> Row | None:
        """The row of ``event``'s incident, made if new, reading the memory's record of it."""
        incident_id = event.incident_id
        if not incident_id:
            return None
        memory = self._memory
        if self._own:
            _teach(memory, event)
        # With several servers, the same id on two of them is two incidents.
        key = incident_id if event.source is None else f"{event.source}/{incident_id}"
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = Row(id=incident_id, source=event.source, first_seen=now)
        known = memory.about(event)
        if isinstance(known, Shown) and known is not row.known:  # None: forgotten since; the row keeps the last
            known.recall(row.known)
            row.known = known
        _settle(row, now)
        return row

    @property
    def _memory(self) -> Memory:
        assert self.memory is not None  # made in __post_init__
        return self.memory

    def _expire(self, now: datetime) -> None:
        grace = timedelta(seconds=self.keep_resolved)
        gone = []
        for key, row in self.rows.items():
            _settle(row, now)  # the memory may have learned a state the board was not told of
            if row.done_since and now - row.done_since > grace:
                gone.append(key)
        for key in gone:
            del self.rows[key]

    def _bound(self) -> None:
        if len(self.rows) <= self.capacity:
            return
        # Forget what matters least first (done, low severity, quiet longest), a tenth at a
        # time so a flood of new incidents does not sort the board on every event.
        excess = len(self.rows) - int(self.capacity * 0.9)
        victims = sorted(self.rows.values(), key=_worth)[:excess]
        for row in victims:
            del self.rows[row.id if row.source is None else f"{row.source}/{row.id}"]


_NEVER = datetime.min.replace(tzinfo=UTC)


def _settle(row: Row, now: datetime) -> None:
    """Since when the row is done (for how long it stays, dimmed), as its state now says."""
    if not row.done:
        row.done_since = None
    elif row.done_since is None:
        row.done_since = now


def _teach(memory: Memory, event: model.StreamEvent) -> None:
    """What a watch's tracker teaches the memory, for a board alone (a replay, ``show``)."""
    memory.observe(event)
    known = memory.about(event)
    if known is not None and event.severity and event.severity != UNKNOWN:
        known.severity = event.severity


def _worth(row: Row) -> tuple[int, int, datetime]:
    """Least worth keeping first: done, then low severity, then quiet longest. (Every row, every
    tenth of the capacity of new incidents in a storm: the record read as it is, not through the
    row's properties; any severity but P0-P4, a set or UNKNOWN included, counts as the lowest.)"""
    known = row.known
    return (0 if known.state in DONE_STATES else 1, -SEVERITY_ORDER.get(known.severity, 5),  # type: ignore[arg-type]
            row.last_activity or _NEVER)


class BoardFeed:
    """The Output every view of a board is fed through (the Live table, the console, the list):
    data events, incidents a query described (not the quiet baseline), status and heartbeats.
    ``dirty``: the board changed since the view last drew it."""

    def __init__(self, board: Board, clock: Callable[[], datetime]) -> None:
        self.board = board
        self.clock = clock
        self.dirty = True

    def write(self, event: model.StreamEvent) -> None:
        self.board.apply(event, self.clock())
        self.dirty = True

    def snapshot(self, event: model.IncidentSeen) -> None:
        if event.subscription == model.Label.BASELINE:
            return  # --no-backfill: a view shows only what streams in
        self.board.learn(event, self.clock())
        self.dirty = True

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        """Status (of one of several servers, when ``source`` is given) and heartbeats."""
        if isinstance(event, model.Heartbeat):
            self.board.alive(self.clock())
        else:
            self.board.status(event, self.clock(), source)
        self.dirty = True
