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
import time
import typing
from collections import deque
from collections.abc import Callable

from incident_cli.errors import OutputError, OutputOverflow

MAX_LINES = 10_000
MAX_BYTES = 16 * 1024 * 1024
COMPACT_AFTER = 256  # lines waiting: past this, a line queued alone is stored as a right-sized copy
HAND_OVER_AT = 256  # lines put in one turn of the event loop: past this, handed over at once
HAND_OVER_BYTES = 1024 * 1024  # or past this many bytes, so one chunk never holds much of the bound
POLICIES = ("drop", "exit")
WRITE_SLICE = 64 * 1024  # bytes a write at most: progress is seen a pipe's worth at a time


class LineWriter:
    """Lines to a descriptor from a thread, through a queue bounded in lines and bytes.

    Within a turn of the event loop, lines are gathered and handed to the queue at the turn's
    end as one joined chunk: the thread then frees one object a turn, not one per line (lines
    freed by another thread than the one that made them cost the loop ~1 µs each in contended
    allocator locks, issue 16). Without a running loop, and under the "exit" policy, each line
    is handed over as it is put. A full queue drops its oldest chunks, counting their lines.
    """

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
        # (lines joined, how many, kept), oldest first; a kept chunk (a status record: what was
        # dropped, a reconnect) is never dropped itself.
        self._chunks: deque[tuple[bytes, int, bool]] = deque()
        self._lines = 0  # in the chunks
        self._bytes = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = False  # the thread sleeps on _cond: only then is a notify needed
        self._pending: list[bytes] = []  # put in this turn of the event loop, not handed over yet
        self._pending_bytes = 0
        self._closing = False
        self._writing = 0  # lines the thread has taken and not yet written
        self.written_bytes = 0  # what the reader has taken so far: its progress, for close()
        self.dropped = 0
        self._unreported = 0
        self.broken = False
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="incidents-writer", daemon=True)
        self._thread.start()

    # ---- producer side (the event loop) ------------------------------------------------

    def put(self, line: bytes, keep: bool = False) -> None:
        if self.broken:
            raise BrokenPipeError
        if self.error is not None:
            raise OutputError(f"cannot write the output: {self.error.strerror or self.error}")
        if keep:  # in order after what came before it, and never dropped
            self.hand_over()
            self._enqueue(line, 1, keep=True)
            return
        if self._policy == "exit":
            self._enqueue(_own_size(line) if self._lines >= COMPACT_AFTER else line, 1)  # an overflow stops this line
            return
        pending = self._pending
        pending.append(line)
        self._pending_bytes += len(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.hand_over)
            except RuntimeError:  # no event loop: at once
                self.hand_over()
        elif len(pending) >= HAND_OVER_AT or self._pending_bytes >= HAND_OVER_BYTES:
            self.hand_over()

    def hand_over(self) -> None:
        """Queue what was put since the last hand-over, as one chunk (the end of a turn does it)."""
        pending = self._pending
        if not pending:
            return
        self._pending, self._pending_bytes = [], 0
        if len(pending) == 1:
            # Bytes may keep a bigger buffer than their length (orjson's own keep 4-8 KiB): a line
            # that waits alone is kept as a copy of its own size, or the 16 MiB bound could cost
            # ten times that in memory (a joined chunk is its own size already).
            self._enqueue(_own_size(pending[0]) if self._lines >= COMPACT_AFTER else pending[0], 1)
        else:
            self._enqueue(b"".join(pending), len(pending))

    def _enqueue(self, chunk: bytes, lines: int, keep: bool = False) -> None:
        with self._lock:  # the bare lock: Condition's own context manager is Python code (issue 7)
            kept = []
            while self._chunks and (
                self._lines + lines > self._max_lines or self._bytes + len(chunk) > self._max_bytes
            ):
                if self._policy == "exit":
                    raise OutputOverflow(
                        f"the reader of stdout fell {self._lines:,} lines behind (--on-overflow exit)"
                    )
                oldest = self._chunks.popleft()
                if oldest[2]:
                    kept.append(oldest)  # back in front below, in its order
                    continue
                self._lines -= oldest[1]
                self._bytes -= len(oldest[0])
                self.dropped += oldest[1]
                self._unreported += oldest[1]
            if kept:
                self._chunks.extendleft(reversed(kept))
            self._chunks.append((chunk, lines, keep))
            self._lines += lines
            self._bytes += len(chunk)
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
        """Lines not written yet: put, queued, or being written."""
        with self._cond:
            return len(self._pending) + self._lines + self._writing

    def close(self, stall: float, *, monotonic: Callable[[], float] = time.monotonic) -> int:
        """Let the thread write what is queued for as long as the reader keeps taking it: it is
        given up only after ``stall`` s in which the reader took nothing. The lines left over."""
        self.hand_over()
        with self._cond:
            self._closing = True
            self._cond.notify()
        progress, since = self.written_bytes, monotonic()
        while self._thread.is_alive():
            self._thread.join(min(0.1, stall))
            if self.written_bytes != progress:
                progress, since = self.written_bytes, monotonic()
            elif monotonic() - since >= stall:
                break
        # A broken pipe or a write error is said on its own: not as lines a reader left behind.
        return 0 if self.broken or self.error is not None else self.pending()

    # ---- consumer side (the thread) ----------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._chunks and not self._closing:
                    self._waiting = True
                    self._cond.wait()
                    self._waiting = False
                if not self._chunks:
                    return
                chunks, self._chunks = self._chunks, deque()
                self._writing, self._lines, self._bytes = self._lines, 0, 0
            try:
                data = chunks[0][0] if len(chunks) == 1 else b"".join(chunk for chunk, _, _ in chunks)
                del chunks
                view = memoryview(data)  # what piled up, a pipe's worth a syscall
                while view:
                    done = os.write(self._fd, view[:WRITE_SLICE])
                    self.written_bytes += done
                    view = view[done:]
            except BrokenPipeError:
                self.broken = True
                if self._on_broken is not None:
                    self._on_broken()
                return
            except OSError as error:
                self.error = error
                return
            with self._cond:
                self._writing = 0


def _own_size(line: bytes) -> bytes:
    return bytes(memoryview(line))


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

    def put(self, line: bytes, keep: bool = False) -> None:
        if self._text is not None:
            self._text.write(line.decode("utf-8", "replace"))
            self._text.flush()
        elif self._binary is not None:
            self._binary.write(line)
            self._binary.flush()

    def take_dropped(self) -> int:
        return 0

    def hand_over(self) -> None:
        pass  # every line is written as it is put

    def close(self, stall: float) -> int:
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
