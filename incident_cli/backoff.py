"""Reconnect timing as pure functions (house rule 9); the session only executes them."""

from __future__ import annotations

import random

from incident_cli.values import frozen

BASE_DELAY = 1.0  # first wait, seconds
FACTOR = 2.0
MAX_DELAY = 60.0
MIN_DELAY = 0.1  # full jitter may draw ~0: never spin
RATE_LIMITED_FACTOR = 4.0  # 4429 / HTTP 429: the server asked us to slow down
HEALTHY_AFTER = 10.0  # an acked connection up this long resets the attempt count
# A deploy's restart is over within a few seconds: the first retries wait under `base`,
# so the stream is back within a second of the server (issue 7), then the ceiling doubles.
FAST_RETRIES = 8
MAX_HINT = 600.0  # a server's Retry-After (or retryAfter) is honoured up to this, whatever the cap
# The fast retries are paced: the least wait of attempt n is PACE_STEP * n of the base, up to
# PACE_CAP. A server that closes every connection at once then gets at most five in three
# seconds (RELIABILITY.md (a) 5: 0.25 + 0.5 + 0.75 + 0.75 + 0.75 s before the sixth), and a
# restarted one is still back within a second.
PACE_STEP, PACE_CAP = 0.25, 0.75


@frozen
class BackoffPolicy:
    """How long to wait before the next attempt: exponential, capped, with fast first retries."""

    base: float = BASE_DELAY
    factor: float = FACTOR
    cap: float = MAX_DELAY
    floor: float = MIN_DELAY
    healthy_after: float = HEALTHY_AFTER
    fast_retries: int = FAST_RETRIES

    def delay(
        self,
        attempt: int,
        *,
        rng: random.Random | None = None,
        rate_limited: bool = False,
        retry_after: float | None = None,
    ) -> float:
        """Jitter: a uniform draw below ``base`` for the first ``fast_retries`` attempts (paced:
        at least PACE_STEP * attempt of it), then below ``base * factor**(attempt - fast_retries)``,
        capped.

        A server's Retry-After (or an error's retryAfter) is honoured as the least wait, up
        to MAX_HINT: the server knows when it will take us back, our cap does not.
        """
        ceiling = min(self.cap, self.base * self.factor ** max(attempt - self.fast_retries, 0))
        if rate_limited:
            ceiling = min(self.cap, ceiling * RATE_LIMITED_FACTOR)
        least = 0.0
        if 0 < attempt <= self.fast_retries:
            least = ceiling * min(PACE_CAP, PACE_STEP * attempt)
        draw = max(self.floor, (rng or random).uniform(least, ceiling))
        if retry_after is not None and retry_after > 0:
            draw = max(draw, min(retry_after, MAX_HINT))
        return draw

    def healthy(self, uptime: float) -> bool:
        """Was an acknowledged connection up long enough to count as healthy?"""
        return uptime >= self.healthy_after

    def next_attempt(self, attempt: int, *, acknowledged: bool, uptime: float) -> int:
        """The attempt number after a disconnect: back to 1 after a healthy connection."""
        if acknowledged and self.healthy(uptime):
            return 1
        return attempt + 1
