"""The hand-over between a session's socket readers and its one consumer.

An unbounded FIFO on the event loop: ``put`` never waits (a reader must never stall on
its consumer), and ``take_all`` hands over everything waiting in one list, so a flood of
frames read in one go costs the consumer one wake-up, not one per event (issue 7).
asyncio.Queue does the same job a few times slower per item.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
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
