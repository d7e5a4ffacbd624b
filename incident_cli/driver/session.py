"""The asyncio driver: connections in sequence (or two at once, briefly), model events out.

One supervisor task owns the connections: it asks the credentials for a token, opens a
Connection (handshake, subscriptions), serves it until it ends, and on a retryable end
waits out the backoff and does it again. Ahead of a token's expiry it opens the next
connection with a fresh token and subscribes there before the old one is closed, so a
refresh leaves no gap; events the two deliver in the overlap are de-duplicated. Nothing
here writes to stdout or stderr.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incident_cli import model
from incident_cli.auth import Token
from incident_cli.driver.connection import Connection, Finished
from incident_cli.driver.credentials import Credentials, StaticCredentials
from incident_cli.driver.delivery import Delivery, Ended
from incident_cli.driver.inbox import Inbox, Posted
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.queries import QueryRoute
from incident_cli.errors import AuthError, Disconnected, IncidentsError, ProtocolMismatch, Unavailable
from incident_cli.messages import Dialect
from incident_cli.operation_errors import Endings, Reread, Resubscribe
from incident_cli.operations import Operation, operation_kind
from incident_cli.redact import display_url
from incident_cli.stalls import TICK, Stalls
from incident_cli.supervision import Step, Supervision

if TYPE_CHECKING:
    from incident_cli.driver.schema_source import Planner

HANDOVER_OVERLAP = 1.0  # seconds both connections deliver after a refresh; duplicates dropped...
HANDOVER_MIN = 0.2  # ...cut short to end before the old token does, but never below this
REFRESH_LEAD_MAX = 60.0  # refresh at most this long before expiry...
REFRESH_LEAD_SHARE = 0.2  # ...and at most this share of the remaining lifetime before it
RETRY_REFRESH = 30.0  # after a failed proactive refresh, try again this much later
SKEW_WARNING = 60.0  # seconds between our clock and the server's worth a warning
SKEW_RESOLUTION = 2.0  # below this, a difference is the Date header's whole-second rounding


def refresh_delay(expires_at: float | None, now: float) -> float | None:
    """Seconds until a token expiring at ``expires_at`` should be replaced (pure policy)."""
    if expires_at is None:
        return None
    remaining = expires_at - now
    return max(0.0, remaining - min(REFRESH_LEAD_MAX, REFRESH_LEAD_SHARE * max(remaining, 0.0)))


logger = logging.getLogger(__name__)


class Session:
    """A subscription session that survives disconnects and token expiry. Use as ``async with``."""

    def __init__(
        self,
        config: SessionConfig,
        operations: list[Operation],
        *,
        credentials: Credentials | None = None,
        planner: Planner | None = None,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._wanted: list[Operation] = list(operations)  # ops the server has not ended yet
        self._credentials = credentials or StaticCredentials(config.token)
        self._planner = planner
        self._ended: set[str] = set()  # labels of operations the server ended
        self._resubscribing: set[asyncio.Task[None]] = set()
        self._answering: set[asyncio.Task[None]] = set()  # query documents asked over HTTP
        self._rng = rng or random.Random()
        self._supervision = Supervision(config.backoff, config.max_retries, self._rng, first_contact=config.first_contact)
        self._endings = Endings(config.backoff, self._rng, can_reread=planner is not None)
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._inbox: Inbox[Any] = Inbox()  # to the consumer: events and status
        self._delivery = Delivery(self._inbox, monotonic)  # handed to every connection: its events
        self._control: Inbox[Ended] = Inbox()  # handed to every connection: operations it saw end
        self._task: asyncio.Task[None] | None = None
        self._active: Connection | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        self._failure: IncidentsError | None = None  # what ended the session, if an error did
        self._offer = config.dialect  # what we offer; auto may fall back to legacy once
        self._down_since: float | None = None  # wall-clock time of the last message before a loss
        self._stalls = Stalls()  # this process not running (stopped, asleep): a gap may start earlier
        self._refresh_not_before: float | None = None  # after a failed proactive refresh
        self._route = QueryRoute(config.http_endpoint(), ssl_context=config.ssl, proxy=config.proxy, monotonic=monotonic)
        self.connections = 0  # attempts made, for status and tests
        self.refreshes = 0
        self.clock_skew = 0.0  # server clock minus ours, from the last handshake

    # ---- public API ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._config.url

    @property
    def stopping(self) -> bool:
        """The run is ending: what fails now fails because of it."""
        return self._stopping

    async def __aenter__(self) -> Session:
        self._task = asyncio.create_task(self._supervise(), name="incidents-session")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        # A normal end says 1000; leaving because of a signal or an error says 1001, going away.
        await self.stop(1000 if exc_type is None else 1001, "" if exc_type is None else "client going away")

    def batches(self) -> AsyncIterator[list[model.Event]]:
        """Results (``model.Result``: each subscription's data as decoded, for the consumer to make
        an event of, or a record) and status events in order, as many at a time as are waiting,
        until every operation has ended; then the fatal error, if any, is raised.

        A flood arrives many frames per socket read: handing them over in one list costs
        the consumer one wake-up instead of one per event (issue 7).
        """
        return self._inbox.batches()

    async def events(self) -> AsyncIterator[model.StreamEvent | model.StatusEvent | Posted]:
        """Model events one at a time, each result made an event (see batches)."""
        async for batch in self.batches():
            for event in batch:
                yield event.event() if isinstance(event, model.Result) else event

    def post(self, work: Callable[[], None]) -> None:
        """Hand ``work`` to the consumer, to run between the events it takes (``Posted``): a
        consumer's background query never changes its state from the side."""
        self._inbox.put(Posted(work))

    async def query(self, operation: Operation, *, timeout: float = 10.0) -> Any:
        """Run a query while a connection is live (on it, or over HTTP) and return its ``data``."""
        try:
            async with asyncio.timeout(timeout):
                await self._until_ready()
                assert self._active is not None
                return await self._routed(operation, self._active.query, self._active.token)
        except TimeoutError:
            raise Unavailable(f"the {operation.label} query got no answer within {timeout:g} s") from None

    async def _routed(self, operation: Operation, over_socket: Any, token: Token | None) -> Any:
        try:
            return await self._route.run(operation, over_socket, token)
        finally:
            for notice in self._route.take_notices():
                self._inbox.put(model.Notice(message=notice))

    async def stop(self, code: int = 1000, reason: str = "") -> None:
        """Complete every operation and close with ``code``, within a deadline."""
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        if self._active is not None:
            try:
                async with asyncio.timeout(self._config.close_timeout):
                    await self._active.close(code, reason)
                    await asyncio.shield(task)  # the reader sees the close and ends
            except (TimeoutError, OSError):
                pass
        if not task.done():  # between connections, or the close did not finish in time
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    # ---- supervisor --------------------------------------------------------------------

    async def _supervise(self) -> None:
        endings = asyncio.create_task(self._read_control(), name="incidents-endings")
        ticking = asyncio.create_task(self._tick(), name="incidents-stalls")
        try:
            await self._connect_forever()
        except (Finished, asyncio.CancelledError):
            pass
        except IncidentsError as error:
            self._failure = error
            self._inbox.close(error)
        except Exception as bug:
            self._inbox.close(bug)
        finally:
            self._ready.clear()
            for task in (endings, ticking, *self._resubscribing, *self._answering):
                task.cancel()
        self._inbox.close()

    async def _tick(self) -> None:
        while True:
            self._stalls.tick(self._wall_clock())
            await asyncio.sleep(TICK)  # the process's own time: never an injected sleep

    async def _connect_forever(self) -> None:
        """Connect, serve, and after every end do what the supervision policy says."""
        while True:
            started = self._monotonic()
            connection: Connection | None = None
            try:
                token = await self._credentials.current()
                connection = self._connection(token)
                attempt = self._supervision.attempt
                logger.debug("connecting to %s (attempt %d, token %s)", display_url(self._config.url), attempt, token)
                await connection.open()
                planned = await self._plan(connection)
                over_http = [op for op in planned if self._route.over_http and _a_query(op)]
                await connection.subscribe_all([op for op in planned if op not in over_http])
                self._activate(connection, attempt)
                for operation in over_http:  # a server that refuses queries on the socket answers them over HTTP
                    self._answering.add(asyncio.create_task(self._answer_over_http(connection, operation)))
                await self._serve(connection)
            except AuthError as denied:
                if self._stopping:
                    return
                acknowledged = connection is not None and connection.acknowledged
                step = self._supervision.denied(acknowledged=acknowledged, uptime=self._monotonic() - started,
                                                refreshable=self._credentials.refreshable)
                if step.step is not Step.REFRESH or await self._refresh() is None:
                    raise
                # Said as the proactive refresh is (a record), and on stderr: a rejected token is news.
                self._inbox.put(model.Notice(message=f"{denied.message}; the token was refreshed, connecting again"))
                self._inbox.put(model.CredentialsRefreshed(expires_at=self._credentials.expires_at))
            except Disconnected as lost:
                if self._stopping:
                    return
                await self._after(lost, connection, started)
            finally:
                if self._active is connection:
                    self._active = None
                    self._ready.clear()
                if connection is not None:
                    await connection.abandon()  # e.g. planning failed after the handshake; a no-op when closed

    async def _after(self, lost: Disconnected, connection: Connection | None, started: float) -> None:
        """A retryable end: note the gap, then wait and try again, or give up, as supervision says."""
        if self._active is connection:
            # Lost before the wait, not after it: a stop during the backoff then cancels the wait
            # at once instead of closing a dead socket and waiting the backoff out (a --for run
            # ended late, and connected once more after its bound).
            self._active = None
            self._ready.clear()
        acknowledged = connection is not None and connection.acknowledged
        if acknowledged and self._down_since is None:
            # The gap began with the last message, not when the loss was noticed (a half-open
            # socket is noticed a ping timeout later), on the wall clock, which unlike the
            # monotonic one counts a laptop's sleep.
            # A process that was stopped reads the frames the kernel kept only after it resumes:
            # a stall just before the loss starts the gap where the stall began.
            last = connection.last_message_at if connection is not None else None
            start = self._stalls.gap_start(last, self._wall_clock())
            self._down_since = start if start is not None else self._wall_clock()
        if lost.legacy_only:
            self._offer = Dialect.LEGACY
        step = self._supervision.disconnected(lost, acknowledged=acknowledged, uptime=self._monotonic() - started,
                                              connections=self.connections)
        if step.step is Step.GIVE_UP:
            raise (ProtocolMismatch if step.protocol else Unavailable)(step.reason) from None
        if not step.counted:  # a protocol fallback or a schema re-read: a note, no wait
            self._inbox.put(model.Notice(message=lost.message))
            return
        self._inbox.put(model.Reconnecting(reason=lost.message, attempt=step.attempt, delay=step.delay))
        await self._sleep(step.delay)

    async def _answer_over_http(self, connection: Connection, operation: Operation) -> None:
        """A query document asked over HTTP: its result delivered, and its end, as the socket would."""
        errors: tuple[str, ...] = ()
        try:
            data = await self._routed(operation, connection.ask, connection.token)
        except IncidentsError as error:
            errors = (error.message,)
        else:
            self._delivery.put(model.Result(operation.label, data, datetime.now(UTC), operation.scope))
        self._control.put(Ended(connection=connection.serial, operation=operation, errors=errors, verdict=None))

    async def _plan(self, connection: Connection) -> list[Operation]:
        """What to subscribe on this connection: as given, or rebuilt from the server's schema."""
        if self._planner is not None:
            planned, notes = await self._planner(lambda operation: self._routed(operation, connection.ask, connection.token))
            for note in notes:
                self._inbox.put(model.Notice(message=note))
            self._wanted = [op for op in planned if op.label not in self._ended]
        return self._wanted

    def _connection(self, token: Token | None) -> Connection:
        self.connections += 1
        return Connection(
            self._config,
            token=token,
            offer=self._offer,
            delivery=self._delivery,
            control=self._control,
            monotonic=self._monotonic,
        )

    def _activate(self, connection: Connection, attempt: int) -> None:
        self._active = connection
        self._ready.set()
        if connection.server_time is not None:
            # Token expiry is judged on the server's clock (RELIABILITY.md 2: clock skew vs exp).
            skew = connection.server_time - self._wall_clock()
            if abs(skew) > SKEW_WARNING and abs(skew - self.clock_skew) > SKEW_WARNING:
                self._inbox.put(model.ClientWarning(
                    message=f"the local clock is {abs(skew):.0f} s {'behind' if skew > 0 else 'ahead of'} the server's; "
                    "token expiry is judged on the server's clock",
                ))
            # The Date header counts whole seconds: a smaller difference is only its rounding.
            self.clock_skew = skew if abs(skew) >= SKEW_RESOLUTION else 0.0
        downtime = None if self._down_since is None else max(0.0, self._wall_clock() - self._down_since)
        self._down_since = None
        self._inbox.put(
            # Shown and recorded: never the URL's userinfo or query string (either may hold a secret).
            model.Connected(server=display_url(self._config.url), subprotocol=connection.dialect.value, attempt=attempt,
                            downtime=downtime)
        )

    async def _serve(self, connection: Connection) -> None:
        """Run ``connection``; ahead of the token's expiry, hand over to a fresh one."""
        running = asyncio.create_task(connection.run(), name="incidents-connection")
        try:
            while True:
                wait = refresh_delay(self._credentials.expires_at, self._wall_clock() + self.clock_skew)
                if wait is not None and self._refresh_not_before is not None:
                    wait = max(wait, self._refresh_not_before - self._monotonic())
                if not self._credentials.refreshable:
                    wait = None
                done, _ = await asyncio.wait({running}, timeout=wait)
                if done:
                    return running.result()  # raises how the connection ended
                old_expiry = self._credentials.expires_at
                successor = await self._handover(connection)
                if successor is None:
                    continue
                # The new socket reads from now on; the old one delivers a little longer.
                successor_running = asyncio.create_task(successor.run(), name="incidents-connection")
                overlap = HANDOVER_OVERLAP
                if old_expiry is not None:  # a strict server cuts the old socket when its token ends
                    overlap = max(HANDOVER_MIN, min(overlap, old_expiry - self._wall_clock() - self.clock_skew - 0.1))
                old, old_running = connection, running
                connection, running = successor, successor_running
                await self._retire(old, old_running, overlap)
        finally:
            if not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)

    async def _handover(self, old: Connection) -> Connection | None:
        """Open and subscribe a connection with a fresh token while ``old`` still delivers."""
        token = await self._refresh()
        if token is None:
            self._refresh_not_before = self._monotonic() + RETRY_REFRESH  # keep serving meanwhile
            return None
        self._delivery.overlap()  # de-duplicate what both connections deliver
        new = self._connection(token)
        try:
            await new.open()
            await new.subscribe_all(self._wanted)
        except IncidentsError as error:
            self._delivery.no_overlap()
            self._inbox.put(model.ClientWarning(message=f"could not move to a fresh connection: {error}"))
            self._refresh_not_before = self._monotonic() + RETRY_REFRESH
            return None
        self._refresh_not_before = None
        self._active = new
        self._inbox.put(model.CredentialsRefreshed(expires_at=self._credentials.expires_at))
        return new

    async def _retire(self, old: Connection, running: asyncio.Task[None], overlap: float) -> None:
        """Let ``old`` deliver a little longer, then close it; its end is not a disconnect."""
        await asyncio.wait({running}, timeout=overlap)
        old.request_close(1000)
        await old.flush()
        await asyncio.wait({running}, timeout=self._config.close_timeout)
        if not running.done():
            running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        self._delivery.overlap_for(HANDOVER_OVERLAP)  # the new socket may lag a little

    async def _refresh(self) -> Token | None:
        logger.debug("refreshing the credentials")
        try:
            token = await self._credentials.refresh()
        except IncidentsError as error:
            self._inbox.put(model.ClientWarning(message=f"token refresh failed: {error}"))
            return None
        if token is not None:
            self.refreshes += 1
        return token

    # ---- what connections report -------------------------------------------------------

    async def _read_control(self) -> None:
        """The supervisor's side of the control inbox: operations the server ended."""
        async for items in self._control.batches():
            for item in items:
                await self._ended_one(item)

    async def _ended_one(self, item: Ended) -> None:
        connection, operation, label = self._active, item.operation, item.operation.label
        if connection is None or item.connection != connection.serial:
            return  # a retiring connection's operations end because we closed it
        decision = self._endings.ended(label, item.errors, item.verdict, custom=label == model.Label.CUSTOM,
                                       delivered_since=self._delivery.delivered_since_marked(label))
        if isinstance(decision, Resubscribe):
            self._delivery.mark(label)
            self._inbox.put(model.Resubscribing(subscription=label, reason=decision.reason, attempt=decision.attempt,
                                                delay=decision.delay))
            task = asyncio.get_running_loop().create_task(self._resubscribe(connection, operation, decision.delay))
            self._resubscribing.add(task)
            task.add_done_callback(self._resubscribing.discard)
            return
        if isinstance(decision, Reread):
            assert self._planner is not None
            self._planner.invalidate()
            connection.end_with(Disconnected(f"the server rejected the {label} document; reading its schema again",
                                             immediate=True))
            await connection.flush()
            return
        self._delivery.forget(label)
        self._ended.add(label)
        if operation in self._wanted:
            self._wanted = [op for op in self._wanted if op is not operation]
        remaining = tuple(op.label for op in self._wanted)
        self._inbox.put(model.OperationEnded(subscription=label, errors=decision.errors, remaining=remaining,
                                             gave_up=decision.gave_up))
        if not self._wanted:
            self._stopping = True
            connection.request_close(1000)
            await connection.flush()

    async def _resubscribe(self, connection: Connection, operation: Operation, delay: float) -> None:
        await self._sleep(delay)
        # After a reconnect the new connection has subscribed everything wanted already.
        if connection is self._active and connection.ready and operation in self._wanted:
            connection.subscribe(operation)
            await connection.flush()

    async def _until_ready(self) -> None:
        """Wait for a live, acknowledged connection; fail at once if the session is over."""
        task = self._task
        if task is None or task.done():
            raise Unavailable("the session is not running")
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait((ready, task), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if not self._ready.is_set() or self._active is None:
            raise Unavailable(f"the session ended: {self._failure}" if self._failure else "the session ended")


def _a_query(operation: Operation) -> bool:
    """A query document (a --query one: the built-in operations are subscriptions)."""
    return operation.label == model.Label.CUSTOM and operation_kind(operation.document, operation.operation_name) == "query"
