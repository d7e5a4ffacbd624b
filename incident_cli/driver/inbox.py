"""The hand-over between a session's socket readers and its one consumer.

An unbounded FIFO on the event loop: ``put`` never waits (a reader must never stall on
its consumer), and ``take_all`` hands over everything waiting in one list, so a flood of
frames read in one go costs the consumer one wake-up, not one per event (issue 7).
asyncio.Queue does the same job a few times slower per item. ``close`` ends it, with
the error that ended the producer, if any: readers get every item put before it first.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_CLOSED: Any = object()


@dataclass(frozen=True, slots=True)
class Posted:
    """Work the consumer's own background tasks hand back (a query answered), run by the
    consumer in turn with the events: one place changes its state, in the order things came."""

    run: Callable[[], None]


class Inbox(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._items) - (1 if self._closed else 0)

    def put(self, item: T) -> None:
        if self._closed:
            return  # nothing follows the end
        self._append(item)

    def close(self, error: BaseException | None = None) -> None:
        if not self._closed:
            self._append(_CLOSED)
            self._closed, self._error = True, error

    def _append(self, item: T) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def take_all(self) -> list[T]:
        """Everything waiting, oldest first; waits for at least one item."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = list(self._items)
        self._items.clear()
        return items

    async def batches(self) -> AsyncIterator[list[T]]:
        """Lists of items, oldest first, until the end; then the closing error, if any."""
        while True:
            items = await self.take_all()
            if items[-1] is not _CLOSED:
                yield items
                continue
            self._items.append(_CLOSED)  # later readers see the end too
            if len(items) > 1:
                yield items[:-1]
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            return
