"""What the supervisor does when a connection ends: try again (now, or after a wait), refresh
the token once, or give up, and why. Pure (house rule 9): the session only carries it out.

The rules, in one place:
- a denied token is refreshed once, at once, when it can be; a second denial right after is
  fatal, but one after a healthy stretch (a token that expired hours in) may refresh again;
- a disconnect is retried with backoff; the attempt count starts over after a healthy
  connection (acknowledged and up for a while), so "attempt N" is the Nth try since then;
- a protocol fallback or a schema re-read is not a failed attempt: again at once;
- three connections in a row that end with an invalid message from the server, or more
  retries than ``max_retries``, give up;
- where nobody named the server (the built-in default), the first failure gives up, until a
  server has once answered: then it is a tail like any other.
"""

from __future__ import annotations

import random
from enum import Enum

from incident_cli.backoff import BackoffPolicy
from incident_cli.errors import Disconnected
from incident_cli.values import frozen
from incident_cli.wording import plural

MAX_VIOLATIONS = 3  # connections in a row ending with an invalid server message before giving up (76)


class Step(Enum):
    RETRY = "retry"  # after ``delay`` seconds (0: at once, not a failed attempt)
    REFRESH = "refresh"  # a fresh token, then again at once
    GIVE_UP = "give up"


@frozen
class Next:
    """What the supervisor does next, and after how long."""

    step: Step
    delay: float = 0.0
    attempt: int = 1  # the number of the coming attempt since the connection was last healthy
    counted: bool = True  # False: a fallback or re-read, said as a note, not as a disconnect
    reason: str = ""  # of giving up
    protocol: bool = False  # giving up because the server broke the protocol (76), not unreachable (69)


class Supervision:
    def __init__(
        self, backoff: BackoffPolicy, max_retries: int | None, rng: random.Random, *, first_contact: bool = False
    ) -> None:
        self._backoff = backoff
        self._max_retries = max_retries
        self._first_contact = first_contact  # one attempt until a server has answered (nobody named it)
        self._answered = False
        self._rng = rng
        self.attempt = 1
        self._violations = 0
        self._refreshed = False  # the last denial was answered with a refresh

    def denied(self, *, acknowledged: bool, uptime: float, refreshable: bool) -> Next:
        """The server rejected the token."""
        if acknowledged and self._backoff.healthy(uptime):
            self._refreshed = False
        if self._refreshed or not refreshable:
            return Next(step=Step.GIVE_UP, reason="denied")
        self._refreshed = True
        return Next(step=Step.REFRESH, attempt=self.attempt)

    def disconnected(self, lost: Disconnected, *, acknowledged: bool, uptime: float, connections: int) -> Next:
        """The connection ended (or never opened) in a way worth retrying, unless it keeps happening."""
        healthy = acknowledged and self._backoff.healthy(uptime)
        self._answered = self._answered or acknowledged
        if self._first_contact and not self._answered and not lost.immediate:
            return Next(step=Step.GIVE_UP, reason=f"no answer: {lost.message}")
        if healthy or not lost.violation:
            self._violations = 0  # "in a row": a healthy stretch or any other end breaks the run
        if lost.violation:
            self._violations += 1
            if self._violations >= MAX_VIOLATIONS:
                return Next(step=Step.GIVE_UP, protocol=True, reason=(
                    f"the server keeps breaking the protocol ({self._violations} connections in a row): {lost.message}"
                ))
        if lost.immediate:
            return Next(step=Step.RETRY, attempt=self.attempt, counted=False)
        self.attempt = self._backoff.next_attempt(self.attempt, acknowledged=acknowledged, uptime=uptime)
        retries = self.attempt - 1
        if self._max_retries is not None and retries > self._max_retries:
            reason = f"gave up after {plural(connections, 'connection attempt')}: {lost.message}"
            return Next(step=Step.GIVE_UP, reason=reason, protocol=lost.violation)
        delay = self._backoff.delay(retries, rng=self._rng, rate_limited=lost.rate_limited, retry_after=lost.retry_after)
        return Next(step=Step.RETRY, delay=round(delay, 3), attempt=self.attempt)
