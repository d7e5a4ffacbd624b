"""The one error and signal policy of the CLI: exit statuses, one-line errors, clean stops.

Only this module (through cli.py's commands) decides exit codes and user-facing error
text (house rule 6); tracebacks never reach a user and never show locals.
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import NoReturn

import typer

from incident_cli.env import Env
from incident_cli.errors import (
    AuthError,
    ClientBug,
    ConfigError,
    IncidentsError,
    NotFound,
    OperationRejected,
    OutputError,
    OutputOverflow,
    ProtocolMismatch,
    Unanswered,
    Unavailable,
    UsageError,
)
from incident_cli.sanitize import sanitize


class ExitStatus(IntEnum):
    """Documented in the README; sysexits where one fits (RELIABILITY.md)."""

    OK = 0
    NOT_FOUND = 1  # incidents show: no such incident (as kubectl get and gh issue view)
    USAGE = 2
    INCIDENT_SEEN = 3  # --fail-on: an incident of that severity was seen during the run
    OPERATION_REJECTED = 65  # EX_DATAERR: the server refused the GraphQL operation
    UNAVAILABLE = 69  # EX_UNAVAILABLE: unreachable, or gave up reconnecting
    CLIENT_BUG = 70  # EX_SOFTWARE: the server says our messages are invalid
    OUTPUT_ERROR = 74  # EX_IOERR: writing our output failed
    OVERFLOW = 75  # EX_TEMPFAIL: the reader of stdout fell behind and --on-overflow exit
    TRY_AGAIN = 75  # EX_TEMPFAIL: an action did not take effect, or whether it did cannot be known
    PROTOCOL = 76  # EX_PROTOCOL: no common subprotocol, invalid server messages, no endpoint
    AUTH = 77  # EX_NOPERM: credentials rejected
    CONFIG = 78  # EX_CONFIG: token missing or malformed, TLS verification failed
    SIGHUP = 129
    SIGINT = 130
    SIGTERM = 143


EXIT_STATUSES = (
    "Exit statuses: 0 done; 2 usage; 3 --fail-on saw one; 65 operation rejected; 69 unreachable; 70 our bug;"
    " 74 output failed; 75 reader too slow; 76 protocol; 77 credentials rejected; 78 configuration;"
    " 129/130/143 signals."
)


def epilog(*examples: str) -> str:
    """A command's help ends with examples, then the exit statuses, as gh's does (blank lines keep them apart)."""
    return "\n\n".join(["Examples:", *(f"  $ {example}" for example in examples), EXIT_STATUSES])


_STATUS_FOR: list[tuple[type[IncidentsError], ExitStatus]] = [
    (UsageError, ExitStatus.USAGE),
    (ConfigError, ExitStatus.CONFIG),
    (AuthError, ExitStatus.AUTH),
    (ProtocolMismatch, ExitStatus.PROTOCOL),
    (ClientBug, ExitStatus.CLIENT_BUG),
    (OperationRejected, ExitStatus.OPERATION_REJECTED),
    (Unavailable, ExitStatus.UNAVAILABLE),
    (NotFound, ExitStatus.NOT_FOUND),
    (OutputError, ExitStatus.OUTPUT_ERROR),
    (OutputOverflow, ExitStatus.OVERFLOW),
    (Unanswered, ExitStatus.TRY_AGAIN),
]


def exit_status_for(error: IncidentsError) -> ExitStatus:
    for kind, status in _STATUS_FOR:
        if isinstance(error, kind):
            return status
    return ExitStatus.CLIENT_BUG


def fail(env: Env, error: IncidentsError) -> NoReturn:
    status = exit_status_for(error)
    prefix = "usage error" if status is ExitStatus.USAGE else "error"
    env.say(f"incidents: {prefix}: {sanitize(error.message, max_length=600)}")
    raise typer.Exit(int(status))


# A write to stdout (or the terminal) that fails this way is the output's fault, not a bug:
# a hung-up terminal, a full disk, a device that went away.
OUTPUT_ERRNOS = frozenset({errno.EIO, errno.ENOSPC, errno.ENXIO, errno.EDQUOT, errno.EFBIG, errno.EBADF})


def quiet_broken_pipe(env: Env) -> NoReturn:
    # The reader went away (`| head`): stop quietly, and keep the interpreter from
    # complaining again when it flushes stdout at exit (Python docs, "Note on SIGPIPE").
    discard_pending(env)
    raise typer.Exit(int(ExitStatus.OK))


Command = Callable[[Callable[[int], None]], Awaitable[int | None]]
GC_THRESHOLD = 10_000  # net allocations between two young collections (Python's default: 700)


def collect_rarely(env: Env) -> bool:
    """For the line outputs: a young collection every GC_THRESHOLD net allocations, not 700.

    A batch of a flood keeps a few hundred events alive at once, and Python's default then ran
    2,400 collections over 200,000 events, 8 % of the CPU, for garbage that reference counting
    frees anyway: the events hold no cycles. 10,000 ran 4 (issue 16). Not for the table and the
    console, whose widgets do make cycles: there the default keeps the peak down.
    """
    if not env.system:
        return False  # in-process runs (tests, embedding) leave the host's collector alone
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    return True


def run_command(env: Env, command: Command) -> None:
    """Run one async command with the one error and signal policy of the tool.

    ``command(stop)`` gets ``stop(status)``, safe to call from any thread, to end the run
    the way a signal would (the stdout writer calls it when the reader goes away).
    """
    import asyncio  # here, not at the top: --help and every TAB of completion skip its 20 ms

    _quiet_library_logs()
    if env.system:
        gc.freeze()  # what start-up built lives as long as the process: no collection need scan it
    try:
        status = asyncio.run(_with_signals(env, command))
    except IncidentsError as error:
        fail(env, error)
    except BrokenPipeError:
        quiet_broken_pipe(env)
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        discard_pending(env)
        fail(env, OutputError(f"cannot write the output: {error.strerror or error}"))
    except KeyboardInterrupt:  # a Ctrl-C that arrived before our handlers were in place
        raise typer.Exit(int(ExitStatus.SIGINT)) from None
    flushed(env)  # what a command printed and left buffered is written now, and its failure said (74)
    if status:
        raise typer.Exit(status)


def flushed(env: Env) -> None:
    """Write out what stdout holds: a full disk or a closed stdout found here is 74, said in one
    line, never the interpreter's "Exception ignored" and 120 at exit."""
    try:
        env.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe(env)
    except (OSError, ValueError) as error:
        code = getattr(error, "errno", None)
        if code is not None and code not in OUTPUT_ERRNOS:
            raise
        discard_pending(env)
        fail(env, OutputError(f"cannot write the output: {getattr(error, 'strerror', None) or error}"))


def discard_pending(env: Env) -> None:
    """What stdout still holds cannot be written: its descriptor goes to /dev/null, so the
    interpreter's own flush at exit finds nothing to complain about (Python's "Note on SIGPIPE")."""
    if not env.system:
        return
    try:
        target = env.stdout.fileno()
    except (OSError, ValueError):
        return  # a stdout with no descriptor (closed by the shell) has nothing left to flush
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, target)
    finally:
        os.close(devnull)


def _quiet_library_logs() -> None:
    import logging

    library = logging.getLogger("websockets")
    library.propagate = False  # DEBUG logs carry Authorization; --debug adds a redacting handler
    if not library.handlers:
        library.addHandler(logging.NullHandler())


SHUTDOWN_DEADLINE = 5.0  # after a signal, the graceful close may take this long at most
_SIGNALS = {signal.SIGINT: ExitStatus.SIGINT, signal.SIGTERM: ExitStatus.SIGTERM, signal.SIGHUP: ExitStatus.SIGHUP}


async def _with_signals(env: Env, command: Command) -> int:
    """SIGINT, SIGTERM and SIGHUP cancel the command, which closes the socket with 1001.

    A second signal, or a shutdown that outlives SHUTDOWN_DEADLINE, leaves at once (the real
    process only: an in-process run is never killed). Signals are taken in the main thread.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    received: list[int] = []
    handled = env.system or threading.current_thread() is threading.main_thread()

    def end(status: int) -> None:
        if received and env.system:
            os._exit(received[0])
        received.append(status)
        if env.system:
            # A thread, not the loop's timer: a shutdown stuck in a blocking call (a console whose
            # terminal is gone) holds the loop, and the deadline must still come.
            deadline = threading.Timer(SHUTDOWN_DEADLINE, os._exit, (status,))
            deadline.daemon = True
            deadline.start()
        assert main is not None
        main.cancel()

    def stop(status: int) -> None:
        try:
            loop.call_soon_threadsafe(end, status)
        except RuntimeError:
            pass  # the run is over (a writer given up at the end calls late): nothing to stop

    if handled:
        for signum, status in _SIGNALS.items():
            loop.add_signal_handler(signum, end, int(status))
    try:
        result = await command(stop)
    except (asyncio.CancelledError, OSError, IncidentsError):
        # After a signal, what fails on the way out is its consequence (SIGHUP: the terminal
        # is gone, so its last frame cannot be drawn): the exit says the signal.
        if received:
            return received[0]
        raise
    finally:
        if handled:
            for signum in _SIGNALS:
                loop.remove_signal_handler(signum)
    return result if isinstance(result, int) else 0
