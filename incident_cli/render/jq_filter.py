"""``--jq EXPR``: each JSON-lines record filtered and reshaped with jq's own language, as gh does.

jq itself does the work (the ``jq`` binding of libjq). The program is compiled here once, so a
bad one is a usage error before connecting, and run in a process of its own (jq_worker.py):
libjq never hands Python's interpreter back while it runs, so a runaway program in this process
would stop Ctrl-C and SIGTERM from being acted on. Each record has RECORD_BUDGET seconds; past
it the worker is killed (and made again for the next record) and the record is left out, said
as jq's own errors are; RUNAWAYS such records in a row end the run (a usage error, 2). While it
waits it also watches the event loop's signal wake-up: a signal ends the wait at once, so
Ctrl-C is acted on within a second however many records a read of the socket brought.
Imported only when ``--jq`` is given.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

import jq

from incident_cli.errors import UsageError
from incident_cli.jsoncodec import ascii_line
from incident_cli.sanitize import sanitize

RECORD_BUDGET = 1.0  # seconds jq may spend on one record
RUNAWAYS = 3  # records in a row that run out of time: the program never ends, and the run does


def compile_jq(expression: str, *, terminal: bool) -> JqShaper:
    """The filter as a function from one record to its output lines; a bad program is a usage error."""
    try:
        jq.compile(expression)
    except ValueError as error:
        first = str(error).splitlines()[0] if str(error) else "not a jq program"
        raise UsageError(f"--jq: {sanitize(first.removeprefix('jq: error: '), max_length=300)}") from None
    return JqShaper(expression, terminal)


def _wakeup_fd() -> int | None:
    """The descriptor asyncio's signal handling writes a byte to when a signal comes (None
    outside the main thread, or before any handler): only looked at, never read."""
    try:
        fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(fd)
    except ValueError:  # not the main thread
        return None
    return fd if fd >= 0 else None


class JqShaper:
    """Records through the program in its worker process, RECORD_BUDGET seconds each at most.
    ``ValueError`` for a record the program fails on or runs too long on: it is left out."""

    def __init__(self, expression: str, terminal: bool, budget: float = RECORD_BUDGET) -> None:
        self._argv = [sys.executable, "-m", "incident_cli.render.jq_worker", expression,
                      "terminal" if terminal else "pipe"]
        self._budget = budget
        self._worker: subprocess.Popen[bytes] | None = None
        self._pending = b""
        self._runaways = 0  # records in a row that ran out of time
        self._signalled = _wakeup_fd()  # readable once a signal came: the loop has something to do

    def __call__(self, record: dict[str, Any]) -> list[bytes]:
        worker = self._started()
        assert worker.stdin is not None
        try:
            worker.stdin.write(ascii_line(record))
            worker.stdin.flush()
            head = self._read_line(worker)
            error = head.startswith(b"E")
            answer = self._read_exactly(worker, int(head[1:] if error else head))
        except (OSError, ValueError, TimeoutError, InterruptedError) as failure:
            self.close()  # a runaway program, or a worker that died: the next record gets a fresh one
            if isinstance(failure, InterruptedError):
                raise ValueError("stopped by a signal") from None
            if isinstance(failure, TimeoutError):
                self._runaways += 1
                if self._runaways >= RUNAWAYS:
                    raise UsageError(f"--jq: the program ran past {self._budget:g} s on {RUNAWAYS} records in a "
                                     "row: it does not seem to end") from None
                raise ValueError(f"the program ran past {self._budget:g} s on a record") from None
            raise ValueError("the program's process ended") from None
        self._runaways = 0
        if error:
            raise ValueError(answer.decode("utf-8", "replace"))
        return answer.splitlines(keepends=True) if answer else []

    def close(self) -> None:
        worker, self._worker, self._pending = self._worker, None, b""
        if worker is not None:
            worker.kill()
            try:
                worker.wait(0.2)  # a program that built a huge value takes the kernel a while to free
            except subprocess.TimeoutExpired:
                pass  # it is dead all the same; the zombie is reaped when we exit
            for stream in (worker.stdin, worker.stdout):
                if stream is not None:
                    stream.close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._worker is None:
            self._worker = subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
        return self._worker

    def _read_line(self, worker: subprocess.Popen[bytes]) -> bytes:
        deadline = time.monotonic() + self._budget
        while b"\n" not in self._pending:
            self._fill(worker, deadline)
        head, _, self._pending = self._pending.partition(b"\n")
        return head

    def _read_exactly(self, worker: subprocess.Popen[bytes], size: int) -> bytes:
        deadline = time.monotonic() + self._budget
        while len(self._pending) < size:
            self._fill(worker, deadline)
        answer, self._pending = self._pending[:size], self._pending[size:]
        return answer

    def _fill(self, worker: subprocess.Popen[bytes], deadline: float) -> None:
        assert worker.stdout is not None
        left = deadline - time.monotonic()
        watched = [worker.stdout.fileno()] + ([self._signalled] if self._signalled is not None else [])
        ready = select.select(watched, [], [], max(left, 0))[0] if left > 0 else []
        if self._signalled is not None and self._signalled in ready:
            raise InterruptedError  # the loop has a signal to act on: give it the thread back
        if not ready:
            raise TimeoutError
        chunk = os.read(worker.stdout.fileno(), 1 << 16)
        if not chunk:
            raise OSError("the jq worker ended")
        self._pending += chunk
