"""The world a command runs in: its streams and environment variables, handed down.

Only the entry point builds one from the process (``Env.system()``); everything below it
writes to ``env.stdout`` and ``env.stderr`` and reads ``env.environ`` (house rule 7), so a
test runs a whole command in-process with in-memory streams, as httpie's ``Environment``
allows.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import typing
from collections.abc import Mapping
from typing import TextIO

from incident_cli.values import frozen


@frozen
class Env:
    """The streams and environment a command runs with (the process's, or a test's)."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]
    system: bool = False  # the real process: may duplicate descriptors, freeze the GC, exit hard

    @classmethod
    def from_process(cls) -> Env:
        # A stream the shell closed (``2>&-``, ``>&-``) is None in sys: stderr then goes nowhere
        # (an outcome is never changed by it), stdout fails each write as a gone output does (74).
        stderr = sys.stderr if sys.stderr is not None else open(os.devnull, "w")
        stdout = sys.stdout if sys.stdout is not None else typing.cast(TextIO, ClosedOutput())
        stdin = sys.stdin if sys.stdin is not None else open(os.devnull)
        return cls(stdin=stdin, stdout=stdout, stderr=stderr, environ=os.environ, system=True)

    def isatty(self, stream: TextIO) -> bool:
        try:
            return bool(stream.isatty())
        except (OSError, ValueError, AttributeError):
            return False

    def say(self, line: str) -> None:
        """One line on stderr; a stderr that is gone (a closed pane, a full disk) cannot be told more."""
        try:
            self.stderr.write(line if line.endswith("\n") else line + "\n")
            self.stderr.flush()
        except (OSError, ValueError):
            pass


class ClosedOutput(io.TextIOBase):
    """stdout when the shell closed it: every write fails as writing to a closed descriptor does."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("stdout is closed")
