"""Reading a recording that a crash may have cut: line by line, bounded, the bad lines counted.

kill -9 or a full disk leaves a recording's last line cut in half; a copy can hold a line that
is not UTF-8; anything can be named as a recording. Every reader of recordings (report, show
-r, replay) takes its lines from here: each line at most MAX_LINE bytes (a longer one is
skipped without being held), undecodable ones skipped, and what was skipped counted with the
first line number, so a reader uses everything readable and says once what it could not.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from incident_cli.errors import UsageError
from incident_cli.wording import plural

MAX_LINE = 16 * 1024 * 1024  # bytes: far past any record (a message is 4 MiB at most by default)


@dataclass
class Skipped:
    """Lines of a recording that could not be used: how many, and the first one's number."""

    count: int = 0
    first: int | None = None
    lines: int = 0  # lines read that were not blank, skipped or not

    def add(self, number: int) -> None:
        self.count += 1
        self.first = number if self.first is None else self.first

    def check_usable(self, name: str) -> None:
        """A file none of whose lines is a record is not a recording cut short: a usage error."""
        if self.lines and self.count >= self.lines:
            raise UsageError(f"{name} holds no incidents records (line {self.first:,} is the first): "
                             "is it a recording (watch --record FILE)?")

    def warning(self, name: str) -> str | None:
        if not self.count:
            return None
        return (f"{plural(self.count, 'line')} of {name} skipped, the first at line {self.first:,}: cut short, "
                "not UTF-8 or not an incidents record (what a crash or a full disk leaves); the rest is used")


def open_recording(path: Path, stdin: IO[str]) -> IO[bytes]:
    """The recording's bytes: ``-`` is stdin; a device (``/dev/zero``) or a folder is refused."""
    if str(path) == "-":
        buffer = getattr(stdin, "buffer", None)
        return buffer if buffer is not None else io.BytesIO(stdin.read().encode("utf-8", "surrogateescape"))
    try:
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise UsageError(f"{path} is not a recording: a recording is a file (watch --record FILE)")
        return path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def numbered_lines(stream: IO[bytes], skipped: Skipped) -> Iterator[tuple[int, str]]:
    """Each non-blank line as text with its number; one too long or not UTF-8 is skipped and counted."""
    number = 0
    while raw := stream.readline(MAX_LINE + 1):
        number += 1
        skipped.lines += 1 if raw.strip() else 0
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of it, a bounded piece at a time
                raw = stream.readline(MAX_LINE)
            skipped.add(number)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            skipped.add(number)
            continue
        if text.strip():
            yield number, text
