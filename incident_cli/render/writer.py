"""Output that never blocks the event loop: a bounded line queue and a writer thread.

A slow reader (`jq` behind, `less` paused, a full pipe) must not stop the socket from
being read and pinged, or the server's keepalive kills the connection (RELIABILITY.md
findings 3 and 4). Lines go into a bounded queue; a daemon thread writes them with
``os.write`` to the raw descriptor (no Python buffer lock, so exit never hangs on it).
When the queue is full the oldest lines are dropped and counted, or, with the "exit"
policy, OutputOverflow ends the run.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import typing
from collections import deque
from collections.abc import Callable

from incident_cli.errors import OutputError, OutputOverflow

MAX_LINES = 10_000
MAX_BYTES = 16 * 1024 * 1024
COMPACT_AFTER = 256  # lines waiting: past this, each is stored as a right-sized copy
POLICIES = ("drop", "exit")


class LineWriter:
    def __init__(
        self,
        fd: int,
        *,
        max_lines: int = MAX_LINES,
        max_bytes: int = MAX_BYTES,
        policy: str = "drop",
        on_broken: Callable[[], None] | None = None,
    ) -> None:
        self._fd = fd
        self._max_lines = max_lines
        self._max_bytes = max_bytes
        self._policy = policy
        self._on_broken = on_broken
        self._lines: deque[bytes] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = False  # the thread sleeps on _cond: only then is a notify needed
        self._wake_due = False  # a notify is scheduled for the end of this turn of the event loop
        self._closing = False
        self._busy = False
        self.dropped = 0
        self._unreported = 0
        self.broken = False
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="incidents-writer", daemon=True)
        self._thread.start()

    # ---- producer side (the event loop) ------------------------------------------------

    def put(self, line: bytes) -> None:
        if self.broken:
            raise BrokenPipeError
        if self.error is not None:
            raise OutputError(f"cannot write the output: {self.error.strerror or self.error}")
        with self._lock:  # the bare lock: Condition's own context manager is Python code (issue 7)
            while self._lines and (len(self._lines) >= self._max_lines or self._bytes + len(line) > self._max_bytes):
                if self._policy == "exit":
                    raise OutputOverflow(
                        f"the reader of stdout fell {len(self._lines):,} lines behind (--on-overflow exit)"
                    )
                self._bytes -= len(self._lines.popleft())
                self.dropped += 1
                self._unreported += 1
            if len(self._lines) >= COMPACT_AFTER:
                # orjson's bytes keep the 8 KiB buffer they were written in, whatever their length:
                # a queue that grows (a reader behind) holds copies of the right size, or the
                # 16 MiB bound would cost ten times that in memory.
                line = bytes(memoryview(line))
            self._lines.append(line)
            self._bytes += len(line)
            wake = self._waiting and not self._wake_due
            self._wake_due = self._wake_due or wake
        if wake:
            self._wake_soon()

    def _wake_soon(self) -> None:
        # One wake-up for whatever this turn of the event loop puts (a whole batch of events),
        # not one per line: a thread woken per line costs the loop more than the line (issue 16).
        try:
            asyncio.get_running_loop().call_soon(self._wake)
        except RuntimeError:  # no event loop: at once
            self._wake()

    def _wake(self) -> None:
        with self._lock:
            self._wake_due = False
            if self._waiting:
                self._cond.notify()

    def take_dropped(self) -> int:
        """Lines dropped since the last call, for a gap report."""
        if not self._unreported:  # asked per event: no lock while nothing was dropped
            return 0
        with self._cond:
            count, self._unreported = self._unreported, 0
        return count

    def pending(self) -> int:
        with self._cond:
            return len(self._lines) + (1 if self._busy else 0)

    def close(self, timeout: float) -> int:
        """Let the thread write what is queued, for at most ``timeout`` s; the lines left over."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        return 0 if self.broken else self.pending()

    # ---- consumer side (the thread) ----------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._lines and not self._closing:
                    self._waiting = True
                    self._cond.wait()
                    self._waiting = False
                if not self._lines:
                    return
                batch = b"".join(self._lines)  # one syscall for whatever piled up
                self._lines.clear()
                self._bytes = 0
                self._busy = True
            try:
                view = memoryview(batch)
                while view:
                    view = view[os.write(self._fd, view) :]
            except BrokenPipeError:
                self.broken = True
                if self._on_broken is not None:
                    self._on_broken()
                return
            except OSError as error:
                self.error = error
                return
            finally:
                with self._cond:
                    self._busy = False


class StreamSink:
    """Synchronous stand-in for a LineWriter when stdout has no descriptor (embedding, tests)."""

    broken = False
    dropped = 0

    def __init__(self, stream: typing.BinaryIO | typing.TextIO) -> None:
        self._binary: typing.BinaryIO | None = None
        self._text: typing.TextIO | None = None
        if isinstance(stream, io.TextIOBase):
            self._text = typing.cast(typing.TextIO, stream)  # an in-memory text stream (tests, embedding)
        else:
            self._binary = typing.cast(typing.BinaryIO, stream)

    def put(self, line: bytes) -> None:
        if self._text is not None:
            self._text.write(line.decode("utf-8", "replace"))
            self._text.flush()
        elif self._binary is not None:
            self._binary.write(line)
            self._binary.flush()

    def take_dropped(self) -> int:
        return 0

    def close(self, timeout: float) -> int:
        return 0


def line_sink(stream: typing.TextIO, **options: typing.Any) -> LineWriter | StreamSink:
    """A LineWriter on ``stream``'s descriptor, or a StreamSink when it has none."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return StreamSink(getattr(stream, "buffer", stream))
    stream.flush()
    return LineWriter(fd, **options)


class TextStream(io.TextIOBase):
    """A text file for Rich that queues whole lines on a LineWriter.

    It answers ``isatty`` and ``fileno`` for the real stream, so Rich still knows whether
    it talks to a terminal.
    """

    def __init__(self, writer: LineWriter | StreamSink, real: typing.TextIO) -> None:
        self._writer = writer
        self._real = real
        self._partial = ""

    def write(self, text: str) -> int:
        data = self._partial + text
        head, newline, self._partial = data.rpartition("\n")
        if newline:
            self._writer.put((head + "\n").encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        pass  # whole lines are queued as they complete

    def isatty(self) -> bool:
        return self._real.isatty()

    def fileno(self) -> int:
        return self._real.fileno()
