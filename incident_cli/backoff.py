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
        """Full jitter: a uniform draw below ``base``, for the first ``fast_retries`` attempts,
        then below ``base * factor**(attempt - fast_retries)``, capped.

        A server's Retry-After (or an error's retryAfter) is honoured as the least wait, up
        to MAX_HINT: the server knows when it will take us back, our cap does not.
        """
        ceiling = min(self.cap, self.base * self.factor ** max(attempt - self.fast_retries, 0))
        if rate_limited:
            ceiling = min(self.cap, ceiling * RATE_LIMITED_FACTOR)
        draw = max(self.floor, (rng or random).uniform(0.0, ceiling))
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
