"""Lines the output queue dropped, said at most once every few seconds, and in all at the end.

A reader that falls behind at 2,000 events/s drops a line per event: one warning per drop
would bury stderr in tens of thousands of identical lines. The count since the last report
is said once every REPORT_EVERY seconds, and the total when the run ends. Pure: the clock
is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from incident_cli import model

REPORT_EVERY = 5.0  # seconds between two reports of dropped lines


class DropReports:
    def __init__(self, every: float = REPORT_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._said_at: float | None = None
        self._unsaid = 0
        self.total = 0

    def dropped(self, count: int) -> model.OutputDropped | None:
        """``count`` more lines were dropped: the report to make now, if one is due."""
        self.total += count
        self._unsaid += count
        now = self._clock()
        if self._said_at is not None and now - self._said_at < self._every:
            return None
        self._said_at = now
        unsaid, self._unsaid = self._unsaid, 0
        return model.OutputDropped(count=unsaid, total=self.total)

    def final(self) -> model.OutputDropped | None:
        """At the end of the run: the total, when anything was dropped."""
        if not self.total:
            return None
        unsaid, self._unsaid = self._unsaid, 0
        return model.OutputDropped(count=unsaid, total=self.total, final=True)
