"""The one error and signal policy of the CLI: exit statuses, one-line errors, clean stops.

Only this module (through cli.py's commands) decides exit codes and user-facing error
text (house rule 6); tracebacks never reach a user and never show locals.
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import sys
from enum import IntEnum
from typing import NoReturn

import typer

from incident_cli.errors import (
    AuthError,
    ClientBug,
    ConfigError,
    IncidentsError,
    OperationRejected,
    OutputError,
    OutputOverflow,
    ProtocolMismatch,
    Unavailable,
    UsageError,
)
from incident_cli.sanitize import sanitize


class ExitStatus(IntEnum):
    """Documented in the README; sysexits where one fits (RELIABILITY.md)."""

    OK = 0
    USAGE = 2
    INCIDENT_SEEN = 3  # --fail-on: an incident of that severity was seen during the run
    OPERATION_REJECTED = 65  # EX_DATAERR: the server refused the GraphQL operation
    UNAVAILABLE = 69  # EX_UNAVAILABLE: unreachable, or gave up reconnecting
    CLIENT_BUG = 70  # EX_SOFTWARE: the server says our messages are invalid
    OUTPUT_ERROR = 74  # EX_IOERR: writing our output failed
    OVERFLOW = 75  # EX_TEMPFAIL: the reader of stdout fell behind and --on-overflow exit
    PROTOCOL = 76  # EX_PROTOCOL: no common subprotocol, invalid server messages, no endpoint
    AUTH = 77  # EX_NOPERM: credentials rejected
    CONFIG = 78  # EX_CONFIG: token missing or malformed, TLS verification failed
    SIGHUP = 129
    SIGINT = 130
    SIGTERM = 143


_STATUS_FOR: list[tuple[type[IncidentsError], ExitStatus]] = [
    (UsageError, ExitStatus.USAGE),
    (ConfigError, ExitStatus.CONFIG),
    (AuthError, ExitStatus.AUTH),
    (ProtocolMismatch, ExitStatus.PROTOCOL),
    (ClientBug, ExitStatus.CLIENT_BUG),
    (OperationRejected, ExitStatus.OPERATION_REJECTED),
    (Unavailable, ExitStatus.UNAVAILABLE),
    (OutputError, ExitStatus.OUTPUT_ERROR),
    (OutputOverflow, ExitStatus.OVERFLOW),
]


def exit_status_for(error: IncidentsError) -> ExitStatus:
    for kind, status in _STATUS_FOR:
        if isinstance(error, kind):
            return status
    return ExitStatus.CLIENT_BUG


def fail(error: IncidentsError) -> NoReturn:
    status = exit_status_for(error)
    prefix = "usage error" if status is ExitStatus.USAGE else "error"
    say(f"incidents: {prefix}: {sanitize(error.message, max_length=600)}\n")
    raise typer.Exit(int(status))


def say(line: str) -> None:
    """One line on stderr; a stderr that is gone (a closed pane, a full disk) cannot be told more."""
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# A write to stdout (or the terminal) that fails this way is the output's fault, not a bug:
# a hung-up terminal, a full disk, a device that went away.
OUTPUT_ERRNOS = frozenset({errno.EIO, errno.ENOSPC, errno.ENXIO, errno.EDQUOT, errno.EFBIG})


def quiet_broken_pipe() -> NoReturn:
    # The reader went away (`| head`): stop quietly, and keep the interpreter from
    # complaining again when it flushes stdout at exit (Python docs, "Note on SIGPIPE").
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(int(ExitStatus.OK))


def run_command(coroutine_factory) -> None:  # type: ignore[no-untyped-def]
    """Run one async command with the one error and signal policy of the tool."""
    import asyncio  # here, not at the top: --help and every TAB of completion skip its 20 ms
    import logging

    logging.getLogger("websockets").addHandler(logging.NullHandler())
    logging.getLogger("websockets").propagate = False  # DEBUG logs carry Authorization
    gc.freeze()  # what start-up built lives as long as the process: no collection need scan it
    try:
        status = asyncio.run(_with_signals(coroutine_factory))
    except IncidentsError as error:
        fail(error)
    except BrokenPipeError:
        quiet_broken_pipe()
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        fail(OutputError(f"cannot write the output: {error.strerror or error}"))
    except KeyboardInterrupt:  # a Ctrl-C that arrived before our handlers were in place
        raise typer.Exit(int(ExitStatus.SIGINT)) from None
    if status:
        raise typer.Exit(status)


SHUTDOWN_DEADLINE = 5.0  # after a signal, the graceful close may take this long at most
_SIGNALS = {signal.SIGINT: ExitStatus.SIGINT, signal.SIGTERM: ExitStatus.SIGTERM, signal.SIGHUP: ExitStatus.SIGHUP}


async def _with_signals(coroutine_factory) -> int:  # type: ignore[no-untyped-def]
    """SIGINT, SIGTERM and SIGHUP cancel the command, which closes the socket with 1001.

    A second signal, or a shutdown that outlives SHUTDOWN_DEADLINE, leaves at once. The
    factory gets ``stop(status)``, safe to call from any thread, to end the same way
    (the stdout writer uses it when the reader goes away).
    """
    import asyncio

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received: list[int] = []

    def end(status: int) -> None:
        if received:
            os._exit(received[0])
        received.append(status)
        loop.call_later(SHUTDOWN_DEADLINE, os._exit, status)
        assert main is not None
        main.cancel()

    def stop(status: int) -> None:
        loop.call_soon_threadsafe(end, status)

    for signum, status in _SIGNALS.items():
        loop.add_signal_handler(signum, end, int(status))
    try:
        result = await coroutine_factory(stop)
    except (asyncio.CancelledError, OSError, IncidentsError):
        # After a signal, what fails on the way out is its consequence (SIGHUP: the terminal
        # is gone, so its last frame cannot be drawn): the exit says the signal.
        if received:
            return received[0]
        raise
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)
    return result if isinstance(result, int) else 0
