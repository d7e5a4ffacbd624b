"""Hooks: run a command for each event, and ring the bell for new incidents of chosen severities.

A hook gets the event's JSON-lines record on stdin and ``INCIDENT_*`` variables in its
environment. Hooks run in the background, a few at a time, each with a deadline; a slow
or failing hook is reported on stderr and never holds up the stream: when too many are
waiting, new ones are skipped (and counted) rather than queued without bound.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from incident_cli import model, streams
from incident_cli.envelope import envelope
from incident_cli.jsoncodec import ascii_line, whole_text
from incident_cli.memory import Memory
from incident_cli.render import Output
from incident_cli.sanitize import sanitize

MAX_WAITING = 100
SAID_LINES = 3  # of a failing hook's stderr, the last ones (where the error usually is)
SAID_CHARACTERS = 300


class HookRunner:
    def __init__(
        self,
        command: str,
        *,
        concurrency: int = 4,
        timeout: float = 10.0,
        warn: Callable[[str], None],
        environ: Mapping[str, str],
    ) -> None:
        self._command = command
        self._environ = dict(environ)  # what the hook inherits: the command's environment
        self._slots = asyncio.Semaphore(concurrency)
        self._timeout = timeout
        self._warn = warn
        self._tasks: set[asyncio.Task[None]] = set()
        self.skipped = 0
        self.ran = 0

    def submit(self, record: dict[str, Any], environment: dict[str, str]) -> None:
        if len(self._tasks) >= MAX_WAITING:
            self.skipped += 1
            if self.skipped in (1, 10, 100) or self.skipped % 1000 == 0:
                self._warn(f"hooks are falling behind: {self.skipped} skipped so far")
            return
        task = asyncio.create_task(self._run(ascii_line(record), environment))  # compact, as stdout is
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, stdin: bytes, environment: dict[str, str]) -> None:
        async with self._slots:
            label = environment.get("INCIDENT_ID") or "event"
            try:
                process = await asyncio.create_subprocess_shell(
                    self._command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,  # said when the hook fails
                    env={**self._environ, **environment},
                    start_new_session=True,  # a Ctrl-C for us is not one for the hook
                )
            except (OSError, ValueError) as exc:  # ValueError: what the environment or the command cannot encode
                self._warn(f"hook could not start: {getattr(exc, 'strerror', None) or exc}")
                return
            try:
                async with asyncio.timeout(self._timeout):
                    _, said = await process.communicate(stdin)
            except TimeoutError:
                _kill_group(process.pid)  # the shell and what it started: a child would hold its stderr open
                await process.wait()
                self._warn(f"hook for {sanitize(label, max_length=40)} took longer than {self._timeout:g} s and was stopped")
                return
            self.ran += 1
            if process.returncode:
                self._warn(f"hook for {sanitize(label, max_length=40)} failed with status {process.returncode}"
                           + _said(said))

    async def drain(self, timeout: float) -> None:
        """At the end: let running hooks finish, within ``timeout``."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # its own session (start_new_session): its group id is its pid
    except ProcessLookupError:
        pass  # gone already


def _said(stderr: bytes) -> str:
    """What a failing hook wrote on stderr, on the same line: its last lines, cut short, harmless."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return ""
    shown = " | ".join(lines[-SAID_LINES:])
    return f": {sanitize(shown, max_length=SAID_CHARACTERS)}"


class Hooked:
    """An Output that also runs a hook per event, rings the bell and notifies for new incidents."""

    def __init__(
        self, inner: Output, *, runner: HookRunner | None, bell: Callable[[], None] | None, memory: Memory | None = None,
        notifier: HookRunner | None = None, notify: frozenset[str] = frozenset(),
        bell_on: frozenset[str] = frozenset(streams.CRITICAL),
    ) -> None:
        self._inner = inner
        self._runner = runner
        self._notifier, self._notify = notifier, notify  # --notify: a desktop notification for new ones
        self._bell, self._bell_on = bell, bell_on  # --bell [SEVERITIES]
        # INCIDENT_TITLE for updates: from the watch's memory, or one of its own when alone.
        self._own = memory is None
        self._memory = memory if memory is not None else Memory()

    def write(self, event: model.StreamEvent) -> None:
        self._inner.write(event)
        self._remember(event)
        if isinstance(event, model.IncidentSeen) and event.subscription not in (model.Label.BACKFILL, model.Label.REPAIR):
            if self._bell is not None and event.severity in self._bell_on:
                self._bell()
            if self._notifier is not None and event.severity in self._notify:
                self._notifier.submit(envelope(event, self._memory), self.environment(event))
        if self._runner is not None:
            self._runner.submit(envelope(event, self._memory), self.environment(event))

    def snapshot(self, event: model.IncidentSeen) -> None:
        self._remember(event)
        self._inner.snapshot(event)

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        self._inner.report(event, source)

    def environment(self, event: model.StreamEvent) -> dict[str, str]:
        known = self._memory.about(event)
        values = {
            "INCIDENT_KIND": event.kind,
            "INCIDENT_SUBSCRIPTION": event.subscription,
            "INCIDENT_ID": event.incident_id or "",
            "INCIDENT_SEVERITY": event.severity or "",
            "INCIDENT_TITLE": (known.title if known is not None else None) or "",
            # As the memory knows the incident (an update names only its id): every kind has them.
            "INCIDENT_STATE": (known.state if known is not None else None) or "",
            "INCIDENT_TEAM": (known.team if known is not None else None) or "",
            "INCIDENT_OWNER": (known.assignee if known is not None else None) or "",
            "INCIDENT_RECEIVED_AT": event.received_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "INCIDENT_SOURCE": event.source or "",
        }
        match event:
            case model.IncidentSeen(incident=incident):
                values["INCIDENT_STATE"] = incident.state or values["INCIDENT_STATE"]
            case model.StateChanged(change=change):
                values["INCIDENT_STATE"] = change.new_state or values["INCIDENT_STATE"]
                values["INCIDENT_OLD_STATE"] = change.old_state or ""
            case model.IncidentUpdated(update=update):
                values["INCIDENT_UPDATE_TYPE"] = update.update_type or ""
        # Environment values cannot hold NUL nor a lone surrogate (it cannot be encoded: the hook
        # would never start; it is U+FFFD, as in the JSON lines); server text is otherwise passed as it came.
        return {key: whole_text(value.replace("\x00", "")) for key, value in values.items()}

    def _remember(self, event: model.StreamEvent) -> None:
        if self._own:
            self._memory.observe(event)
