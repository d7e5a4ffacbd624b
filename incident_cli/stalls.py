"""Did this process stop running for a while? Pure: fed the wall clock every second.

A client stopped (SIGSTOP, a debugger, a laptop's sleep) reads, once it runs again, what
the kernel kept for it, and only then learns the server closed: every frame it reads is
stamped after the resume, so a gap measured from the last frame read says 0.4 s for a
stop of 40 s. A tick that comes much later than asked for shows the process was not
running; a loss noticed soon after such a stall is counted from where the stall began.
"""

from __future__ import annotations

TICK = 1.0  # seconds between ticks asked for
STALL = 3.0  # a tick this much later than the one before: the process was not running
RECENT = 60.0  # a loss noticed within this long after a stall ended is counted from the stall


class Stalls:
    def __init__(self) -> None:
        self._last: float | None = None
        self._began: float | None = None  # wall-clock time the latest stall began
        self._ended: float | None = None  # ...and ended

    def tick(self, now: float) -> None:
        if self._last is not None and now - self._last >= STALL:
            self._began, self._ended = self._last, now
        self._last = now

    def gap_start(self, last_message: float | None, now: float) -> float | None:
        """When the gap began: the last message read, or the start of a stall that ended just
        before the loss was noticed, whichever is earlier."""
        stalled = self._began if self._ended is not None and now - self._ended <= RECENT else None
        starts = [moment for moment in (last_message, stalled) if moment is not None]
        return min(starts) if starts else None
