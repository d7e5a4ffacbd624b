"""How much of a run was watched: connected time, disconnects, and why it was not connected.

A bounded run (``--for``, ``--idle-exit``) that reports "nothing seen" must have been
looking: cron's ``--fail-on P0 || notify`` cannot tell "no P0" from "server down"
otherwise. Fed with the session's Connected and Reconnecting events and the run's clock;
pure (house rule 1): every call takes ``now``.
"""

from __future__ import annotations

from incident_cli import model

# The first connection takes a handshake; a run that was live this soon after its start
# counts as watched from the start.
STARTUP_SLACK = 1.0


class Coverage:
    def __init__(self, started: float) -> None:
        self.started = started
        self.connected_for = 0.0
        self.disconnects = 0
        self.attempts = 0  # failed connection attempts
        self.last_failure: str | None = None
        self.first_connected: float | None = None
        self.repaired = 0  # gaps repaired from the list after a reconnect
        self._up_since: float | None = None

    @property
    def ever_connected(self) -> bool:
        return self.first_connected is not None

    def connected(self, now: float) -> None:
        if self.first_connected is None:
            self.first_connected = now
        if self._up_since is None:
            self._up_since = now

    def lost(self, now: float, reason: str) -> None:
        """A Reconnecting event: the connection went (or an attempt failed)."""
        if self._up_since is not None:
            self.connected_for += now - self._up_since
            self._up_since = None
            self.disconnects += 1
        else:
            self.attempts += 1
        self.last_failure = reason

    def summary(self, now: float) -> model.RunCoverage:
        """The run as a status event, at its end."""
        connected = self.connected_for + (now - self._up_since if self._up_since is not None else 0.0)
        late = self.first_connected is not None and self.first_connected - self.started > STARTUP_SLACK
        return model.RunCoverage(
            duration=round(now - self.started, 3),
            connected=round(connected, 3),
            disconnects=self.disconnects,
            partial=self.ever_connected and (self.disconnects > 0 or late),
            repaired=self.repaired,
        )
