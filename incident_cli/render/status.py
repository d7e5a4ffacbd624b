"""Status, warnings and errors as one plain line each on stderr (never stdout)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from incident_cli import model
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize
from incident_cli.wording import plural

PREFIX = "incidents: "


RESTATE_EVERY = 300.0  # seconds: a long outage is restated this often at least


def _worth_saying(attempt: int) -> bool:
    """Attempts 1, 2, 4, 8, 16, ...: an hour of retries is a dozen lines, not thousands."""
    return attempt & (attempt - 1) == 0


class StatusLines:
    def __init__(self, stream: TextIO, source: str | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._disconnected = False
        self._last_reason: str | None = None  # of the last reconnect line, while disconnected
        self._said_at = 0.0
        self._source = source
        self._prefix = PREFIX + (f"{sanitize(source, max_length=30)}: " if source else "")
        self._children: dict[str, StatusLines] = {}

    def line(self, text: str) -> None:
        try:
            self._stream.write(self._prefix + text + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            pass  # stderr is gone (a closed pane): nothing more can be said there, and the data goes on

    def for_source(self, source: str) -> StatusLines:
        """Lines about one of several servers, prefixed with its name (kept, so its state is)."""
        if source not in self._children:
            self._children[source] = StatusLines(self._stream, source, clock=self._clock)
        return self._children[source]

    def report(self, event: model.StatusEvent) -> None:
        match event:
            case model.Reconnecting(reason=reason, attempt=attempt, delay=delay):
                self._disconnected = True
                self._reconnecting(reason, attempt, delay)
            case model.Connected(server=server, subprotocol=subprotocol, downtime=downtime) if self._disconnected:
                self._disconnected, self._last_reason = False, None
                after = f" after {downtime:.1f} s" if downtime is not None else ""
                self.line(f"reconnected to {sanitize(display_url(server))} ({subprotocol}){after}")
            case model.Notice(message=message):
                self.line(f"note: {sanitize(message, max_length=300)}")
            case model.OutputDropped(final=True, total=total):
                self.line(f"warning: {plural(total, 'line')} dropped in all: the reader of stdout fell behind")
            case model.OutputDropped(count=count, total=total):
                so_far = f" ({total:,} so far)" if total > count else ""
                self.line(f"warning: the reader of stdout fell behind: {plural(count, 'line')} dropped{so_far}")
            case model.GapRepaired(repaired=repaired, vanished=vanished, unverified=unverified):
                noun = "incident" if repaired == 1 else "incidents"
                gone = f"; {plural(len(vanished), 'incident')} the server no longer knows removed" if vanished else ""
                unsure = f"; {plural(unverified, 'incident')} could not be checked (shown as last seen)" if unverified else ""
                self.line(f"gap repaired: {repaired} {noun} changed while disconnected{gone}{unsure}")
            case model.RunCoverage(partial=True, duration=duration, connected=connected, disconnects=disconnects,
                                   repaired=repaired):
                lost = f"; {disconnects} {'disconnect' if disconnects == 1 else 'disconnects'}" if disconnects else ""
                mended = (", and each gap was repaired from the server's list" if repaired >= disconnects > 0
                          else f", {repaired} of the gaps repaired from the server's list" if repaired else "")
                self.line(
                    f"warning: connected for {connected:.1f} s of the {duration:.1f} s run{lost}: "
                    f"what happened while disconnected was not streamed{mended}"
                )
            case model.ClientWarning(message=message):
                self.line(f"warning: {sanitize(message, max_length=400)}")
            case model.ServerWarning(subscription=name, messages=messages):
                joined = "; ".join(sanitize(message) for message in messages) or "no message"
                self.line(f"warning: {name}: the server reported errors: {joined}")
            case model.OperationEnded(subscription=name, errors=errors, remaining=remaining) if errors:
                if remaining or self._source is not None:  # the last one of a lone server: the run's
                    joined = "; ".join(sanitize(message) for message in errors)  # own error says it
                    self.line(f"error: {name}: {joined}")
            case model.OperationEnded(subscription=name, remaining=remaining) if remaining:
                # A tail that silently stops showing new incidents is the worst kind of silence.
                self.line(f"warning: the server ended the {name} stream; still following {', '.join(remaining)}")
            case model.Resubscribing(subscription=name, reason=reason, attempt=attempt, delay=delay):
                self.line(
                    f"warning: {name}: the server ended it with an error ({sanitize(reason)}); "
                    f"subscribing again in {delay:.1f} s (attempt {attempt})"
                )

    def _reconnecting(self, reason: str, attempt: int, delay: float) -> None:
        """The same reason again is said again only on attempts 1, 2, 4, 8, ... or every few minutes."""
        now = self._clock()
        if reason != self._last_reason:
            self.line(f"{sanitize(reason)}; reconnecting in {delay:.1f} s (attempt {attempt})")
        elif _worth_saying(attempt) or now - self._said_at >= RESTATE_EVERY:
            still = sanitize(reason) if reason.startswith("cannot") else f"failing: {sanitize(reason)}"
            self.line(f"still {still}; attempt {attempt}, next in {delay:.1f} s")
        else:
            return
        self._last_reason, self._said_at = reason, now
