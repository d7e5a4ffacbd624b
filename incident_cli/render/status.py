"""Status, warnings and errors as one plain line each on stderr (never stdout)."""

from __future__ import annotations

from typing import TextIO

from incident_cli import model
from incident_cli.redact import display_url
from incident_cli.sanitize import sanitize

PREFIX = "incidents: "


def plural(count: int, noun: str) -> str:
    """``1 line``, ``2 lines``, ``12,004 lines``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class StatusLines:
    def __init__(self, stream: TextIO, source: str | None = None) -> None:
        self._stream = stream
        self._disconnected = False
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
            self._children[source] = StatusLines(self._stream, source)
        return self._children[source]

    def report(self, event: model.StatusEvent) -> None:
        match event:
            case model.Reconnecting(reason=reason, attempt=attempt, delay=delay):
                self._disconnected = True
                self.line(f"{sanitize(reason)}; reconnecting in {delay:.1f} s (attempt {attempt})")
            case model.Connected(server=server, subprotocol=subprotocol, downtime=downtime) if self._disconnected:
                self._disconnected = False
                after = f" after {downtime:.1f} s" if downtime is not None else ""
                self.line(f"reconnected to {sanitize(display_url(server))} ({subprotocol}){after}")
            case model.Notice(message=message):
                self.line(f"note: {sanitize(message, max_length=300)}")
            case model.OutputDropped(final=True, total=total):
                self.line(f"warning: {plural(total, 'line')} dropped in all: the reader of stdout fell behind")
            case model.OutputDropped(count=count, total=total):
                so_far = f" ({total:,} so far)" if total > count else ""
                self.line(f"warning: the reader of stdout fell behind: {plural(count, 'line')} dropped{so_far}")
            case model.GapRepaired(repaired=repaired):
                noun = "incident" if repaired == 1 else "incidents"
                self.line(f"gap repaired: {repaired} {noun} changed while disconnected")
            case model.RunCoverage(partial=True, duration=duration, connected=connected, disconnects=disconnects):
                lost = f"; {disconnects} {'disconnect' if disconnects == 1 else 'disconnects'}" if disconnects else ""
                self.line(
                    f"warning: connected for {connected:.1f} s of the {duration:.1f} s run{lost}: "
                    "what happened while disconnected was not streamed"
                )
            case model.ClientWarning(message=message):
                self.line(f"warning: {sanitize(message, max_length=400)}")
            case model.ServerWarning(subscription=name, messages=messages):
                joined = "; ".join(sanitize(message) for message in messages) or "no message"
                self.line(f"warning: {name}: the server reported errors: {joined}")
            case model.OperationEnded(subscription=name, errors=errors) if errors:
                joined = "; ".join(sanitize(message) for message in errors)
                self.line(f"error: {name}: {joined}")
            case model.OperationEnded(subscription=name, remaining=remaining) if remaining:
                # A tail that silently stops showing new incidents is the worst kind of silence.
                self.line(f"warning: the server ended the {name} stream; still following {', '.join(remaining)}")
            case model.Resubscribing(subscription=name, reason=reason, attempt=attempt, delay=delay):
                self.line(
                    f"warning: {name}: the server ended it with an error ({sanitize(reason)}); "
                    f"subscribing again in {delay:.1f} s (attempt {attempt})"
                )
