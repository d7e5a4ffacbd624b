"""Is the server still there? Pure timing rules for one socket (house rule 9).

websockets' own keepalive watches the WebSocket layer. These rules watch the GraphQL
layer above it, which can be stuck while the socket answers: a GraphQL ping must be
answered within a deadline, and once a server has shown it sends heartbeats (or legacy
`ka` messages), silence longer than their timeout means trouble. The connection feeds
what it reads and sends; its watchdog asks ``verdict`` and ``ping_due`` every tick.
"""

from __future__ import annotations

from incident_cli.values import frozen


@frozen
class Deadlines:
    """How long each kind of silence may last before the socket is given up."""

    ping_interval: float | None  # None or 0: no GraphQL pings of our own
    ping_timeout: float | None  # None or 0: pongs are not waited for
    heartbeat_timeout: float
    keepalive_timeout: float

    def tick(self) -> float:
        """How often the watchdog should look: a quarter of the shortest deadline, at most 1 s."""
        candidates = [1.0, self.heartbeat_timeout / 4, self.keepalive_timeout / 4]
        if self.ping_interval:
            candidates.append(self.ping_interval / 4)
        return min(candidates)


class Liveness:
    def __init__(self, deadlines: Deadlines, now: float) -> None:
        self.deadlines = deadlines
        self.last_inbound = now
        self.ping_sent: float | None = None  # an unanswered ping of ours, sent then
        self._expect: str | None = None  # inbound traffic we can count on: "heartbeat", "ka"
        self._next_ping: float | None = None

    def start_pinging(self, now: float) -> None:
        """The socket is in service: our own pings start one interval from now."""
        if self.deadlines.ping_interval:
            self._next_ping = now + self.deadlines.ping_interval

    # ---- what the connection saw ----------------------------------------------------------

    def inbound(self, now: float) -> None:
        self.last_inbound = now

    def answered(self) -> None:
        """A pong (or legacy `ka`) arrived: any ping of ours is answered."""
        self.ping_sent = None

    def expect(self, kind: str) -> None:
        """The server sends ``kind`` ("heartbeat" or "ka") regularly: its silence counts from now on.

        Heartbeats win: once a stream carries them, `ka` does not lower the bar.
        """
        if self._expect != "heartbeat":
            self._expect = kind

    def pinged(self, now: float) -> None:
        self.ping_sent = now

    # ---- what the watchdog asks -----------------------------------------------------------

    def verdict(self, now: float) -> str | None:
        """Why the connection should be counted as dead, or None while it looks alive."""
        deadlines, silence = self.deadlines, now - self.last_inbound
        if self.ping_sent is not None and deadlines.ping_timeout and now - self.ping_sent > deadlines.ping_timeout:
            return f"no pong within {deadlines.ping_timeout:g} s"
        if self._expect == "heartbeat" and silence > deadlines.heartbeat_timeout:
            return f"no heartbeat or other message for {silence:.0f} s"
        if self._expect == "ka" and silence > deadlines.keepalive_timeout:
            return f"no keep-alive from the server for {silence:.0f} s"
        return None

    def ping_due(self, now: float) -> bool:
        """Time for a GraphQL ping of ours (never two unanswered at once)."""
        if self._next_ping is None or now < self._next_ping:
            return False
        self._next_ping = now + (self.deadlines.ping_interval or 0.0)
        return self.ping_sent is None
