"""Shared test helpers: bounded waits scaled from one factor (house rule 10)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import subprocess
import sys
import time
import weakref
from pathlib import Path

# One knob for slow machines: every bounded wait in the suite is multiplied by it.
SCALE = float(os.environ.get("INCIDENTS_TEST_TIMEOUT_SCALE", "1"))
INCIDENTS = [sys.executable, "-m", "incident_cli"]
ROOT = Path(__file__).resolve().parent.parent


def seconds(value: float) -> float:
    return value * SCALE


def run(coroutine, timeout: float = 20.0):
    """Run one async test body with a hard bound."""
    return asyncio.run(asyncio.wait_for(coroutine, seconds(timeout)))


def read_line(stream, timeout: float) -> str:
    """One line from a subprocess pipe, or TimeoutError: never a blocking read.

    Reads the descriptor itself (select + os.read) and keeps what follows the line for the
    next call, so lines that arrive together are not hidden in a TextIOWrapper's buffer.
    """
    fd = stream.fileno()
    pending = _PENDING.setdefault(stream, bytearray())
    deadline = time.monotonic() + seconds(timeout)
    while b"\n" not in pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no line from the subprocess in time")
        readable, _, _ = select.select([fd], [], [], remaining)
        if readable:
            chunk = os.read(fd, 65536)
            if not chunk:  # end of file: whatever is left, then ""
                line = bytes(pending)
                pending.clear()
                return line.decode("utf-8", "replace")
            pending.extend(chunk)
    index = pending.index(b"\n") + 1
    line = bytes(pending[:index])
    del pending[:index]
    return line.decode("utf-8", "replace")


_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per stream, never per reused fd


@contextlib.contextmanager
def demo_process(*args: str):
    """``incidents demo`` as a process of its own on a free loopback port; yields its URL, kills it after.

    For the tests where the server being another process is the point; the others use demo().
    """
    proc = subprocess.Popen(
        [*INCIDENTS, "demo", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_line(proc.stderr, 15)
        match = re.search(r"serving (wss?://\S+)", line)
        assert match, f"demo did not start: {line!r}"
        yield match.group(1)
    finally:
        proc.kill()
        proc.wait(timeout=seconds(10))
        proc.stderr.close()


@contextlib.contextmanager
def demo(*args: str):
    """The demo server as ``incidents demo ARGS`` would run it, in a thread of this process: its URL.

    The arguments go through the demo command's own parser, so a test says what a user would.
    """
    with demo_server(*args) as server:
        yield server.url


@contextlib.contextmanager
def demo_server(*args: str):
    """As ``demo``, but the DemoServer itself: a test can check what it printed against the truth."""
    import threading

    import typer

    from incident_cli.cli.app import app
    from incident_cli.cli.demo import server_options
    from incident_cli.demo.server import DemoServer

    command = typer.main.get_command(app).commands["demo"]  # type: ignore[attr-defined]
    options = server_options(command.make_context("demo", ["--port", "0", *args]).params)
    loop = asyncio.new_event_loop()
    started: dict = {}
    ready = threading.Event()

    async def serve():
        started["server"] = await DemoServer(options).start()
        started["stop"] = asyncio.Event()
        ready.set()
        await started["stop"].wait()
        await started["server"].stop()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), name="demo", daemon=True)
    thread.start()
    try:
        assert ready.wait(seconds(15)), "the demo did not start"
        yield started["server"]
    finally:
        loop.call_soon_threadsafe(started["stop"].set)
        thread.join(seconds(10))
        loop.close()


def incidents(*args: str, timeout: float = 30, env=None, input=None, process: bool = False) -> subprocess.CompletedProcess:
    """Run the real CLI to completion, bounded: in-process (cli.app.run with in-memory streams),
    or as a process of its own (``process=True``) where the process is the point."""
    if process:
        return subprocess.run([*INCIDENTS, *args], capture_output=True, text=True, timeout=seconds(timeout), env=env,
                              input=input)
    import io
    import threading

    from incident_cli.cli.app import run as run_cli
    from incident_cli.env import Env

    memory = Env(stdin=io.StringIO(input or ""), stdout=io.StringIO(), stderr=io.StringIO(),
                 environ=dict(os.environ if env is None else env))
    outcome: dict = {}

    def target():
        # Typer's own messages (usage, --help) go to sys.stdout and sys.stderr: the same streams.
        with contextlib.redirect_stdout(memory.stdout), contextlib.redirect_stderr(memory.stderr):
            outcome["code"] = run_cli(list(args), memory)

    thread = threading.Thread(target=target, name="incidents", daemon=True)
    thread.start()
    thread.join(seconds(timeout))
    if thread.is_alive():
        raise subprocess.TimeoutExpired(["incidents", *args], seconds(timeout))
    return subprocess.CompletedProcess(["incidents", *args], outcome["code"], memory.stdout.getvalue(), memory.stderr.getvalue())


def memory_env(environ=None, stdin=""):
    """An Env of in-memory streams: a command run in it reads and writes nothing of the process's."""
    import io

    from incident_cli.env import Env

    return Env(stdin=io.StringIO(stdin), stdout=io.StringIO(), stderr=io.StringIO(),
               environ=dict(os.environ if environ is None else environ))
