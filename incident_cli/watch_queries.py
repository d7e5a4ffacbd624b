"""The watch's background queries: the list query and the checks by id after a gap, lookups
of incidents the stream has not described, and re-reads of incidents whose owner changed.
Each runs as a task so the stream never waits on it; each answer is Posted back to the one
consumer (the session's inbox), which hands it to the tracker in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from typing import Any

from incident_cli import model
from incident_cli.driver.schema_source import Documents
from incident_cli.driver.session import Session
from incident_cli.errors import IncidentsError
from incident_cli.memory import Memory
from incident_cli.render import Output
from incident_cli.tracking import NOT_ASKED, CheckIds, ReadList, Tracker, described

LOOKUP_TIMEOUT = 5.0
MAX_FAILURES = 3  # lookups failing in a row before they pause...
LOOKUP_PAUSE = 30.0  # ...for this many seconds
MAX_LOOKUPS = 2  # incident(id) queries in flight at once; the rest wait their turn, in stream order
REPAIR_BATCH = 50  # incidents that left the active list while we were away, looked up in one query
REPAIR_BUDGET = 15.0  # seconds those look-ups may take in all after a reconnect


MAX_REREADS = 2  # incidents re-read at once; more assignments wait their turn


class Rereads:
    """Incidents to describe again (after an assignment: the view learns the new owner), in the
    background so the stream never waits on them: one task per incident at a time, a few at
    once, all cancelled when the watch ends. Not data: only the memory and the view learn."""

    def __init__(self, lookups: Lookups, memory: Memory, output: Output) -> None:
        self._lookups, self._memory, self._output = lookups, memory, output
        self._running: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(MAX_REREADS)

    async def _reread(self, incident_id: str) -> None:
        found = await self._lookups.find(incident_id)
        if isinstance(found, dict):
            snapshot = described(model.Label.LOOKUP, found, datetime.now(UTC))
            self._memory.observe(snapshot)
            self._output.snapshot(snapshot)

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


class Lookups:
    """``incident(id)`` queries for incidents the stream has not described yet, in the
    background: MAX_LOOKUPS at a time, in stream order, once per incident; each answer is
    Posted back to ``answered``. After MAX_FAILURES in a row (a server without the query, a
    socket that refuses queries and no HTTP endpoint) it stops asking for LOOKUP_PAUSE, then
    tries again; ``reason`` says why it could not ask.
    """

    def __init__(
        self, session: Session, documents: Documents, answered: Callable[[str, Any, str], None],
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
        self._session.post(partial(self._answered, incident_id, found, self.reason))

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


class Listings:
    """The list query, page by page, and after a gap the checks by id of what left the list:
    one at a time (a newer connection's listing replaces an older one), each answer Posted
    back to the tracker."""

    def __init__(self, session: Session, documents: Documents, tracker: Tracker) -> None:
        self._session = session
        self._documents = documents
        self._tracker = tracker
        self._task: asyncio.Task[None] | None = None

    def read(self, action: ReadList) -> None:
        if not self._documents.can_list():
            self._tracker.cannot_list()  # the server cannot list: just stream
            return
        self._start(self._pages(action), "incidents-list")

    def check(self, action: CheckIds) -> None:
        self._start(self._check(action), "incidents-verify")

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> None:
        if self._task is not None:
            self._task.cancel()  # the work of a connection that is gone: this replaces it
        self._task = asyncio.get_running_loop().create_task(work, name=name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _pages(self, action: ReadList) -> None:
        received_at = datetime.now(UTC)
        listed: set[str] = set()
        post, tracker = self._session.post, self._tracker
        ask = lambda operation: self._session.query(operation, timeout=LOOKUP_TIMEOUT)  # noqa: E731
        try:
            async for page in self._documents.pages(ask, severities=tracker.list_severities):
                post(partial(tracker.receive_page, page, action.first, received_at, listed))
        except IncidentsError as error:
            post(partial(tracker.listing_failed, error.message, action.first, stopping=self._session.stopping))
            return
        post(partial(tracker.listing_done, action.connected, action.first, listed, received_at))

    async def _check(self, action: CheckIds) -> None:
        """Incidents that left the active list while we were away, looked up REPAIR_BATCH at a time
        within REPAIR_BUDGET; each answer is Posted back, then the repair is reported."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPAIR_BUDGET
        vanished: list[str] = []
        unverified = 0
        ids = list(action.ids)
        for start in range(0, len(ids), REPAIR_BATCH):
            batch = ids[start : start + REPAIR_BATCH]
            lookup = self._documents.incidents(batch)
            left = deadline - loop.time()
            data = None
            if lookup is not None and left > 0:
                with contextlib.suppress(IncidentsError):
                    data = await self._session.query(lookup, timeout=min(LOOKUP_TIMEOUT, left))
            if not isinstance(data, dict):
                unverified = len(ids) - start
                break
            self._session.post(partial(self._tracker.receive_checked, batch, data, action.received_at, vanished))
        self._session.post(partial(self._tracker.repair_done, action.connected, vanished, unverified))
