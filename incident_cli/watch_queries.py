"""The watch's background queries: lookups of incidents the stream has not described, and
re-reads of incidents whose owner changed. Each runs as a task so the stream never waits on
it; each answer is Posted back to the one consumer (the session's inbox), which hands it to
the tracker in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from incident_cli.driver.schema_source import Documents
from incident_cli.driver.session import Session
from incident_cli.errors import IncidentsError
from incident_cli.tracking import NOT_ASKED

LOOKUP_TIMEOUT = 5.0
MAX_FAILURES = 3  # lookups failing in a row before they pause...
LOOKUP_PAUSE = 30.0  # ...for this many seconds
MAX_LOOKUPS = 2  # incident(id) queries in flight at once; the rest wait their turn, in stream order


MAX_REREADS = 2  # incidents re-read at once; more assignments wait their turn


class Rereads:
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
