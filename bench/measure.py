"""How the harness measures a client process: wall time, CPU, RSS, stdout latency, in a pty.

Every figure is of the whole process, as a user experiences it. Clients run with the
environment a user would have: bytecode caching on, stdout not forced unbuffered.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
SENT_AT = re.compile(rb'"sentAt": ?([0-9.]+)')


def client_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "COLUMNS", "LINES")}
    env.update(extra)
    return env


class Flood:
    """A bench.flood server in a child process."""

    def __init__(self, *args: str, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.flood", "--port", str(port), *args],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=client_env(),
        )
        line = self.proc.stdout.readline()
        self.ready_at = time.time()
        match = re.search(r"listening (\d+)", line)
        if match is None:
            raise SystemExit(f"the flood server did not start: {line!r}")
        self.port = int(match.group(1))
        self.url = f"ws://127.0.0.1:{self.port}/graphql/ws"

    def finished_at(self, timeout: float) -> float | None:
        """When the server sent its last frame (epoch seconds), from its `sent` line."""
        done: list[float] = []

        def read() -> None:
            line = self.proc.stdout.readline()
            if line.startswith("sent "):
                done.append(float(line.split()[2]))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        return done[0] if done else None

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self) -> Flood:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds
    peak_rss_mib: float
    lines: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, per stamped line
    rss_samples: list[float] = field(default_factory=list)  # MiB, over the run


class Demo:
    """The embedded demo server as a process of its own: ``with Demo("--incidents", "50") as url``."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([PY, "-m", "incident_cli", "demo", "--port", "0", *args], cwd=ROOT, env=client_env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"serving (ws://\S+)", line)
        if not found:
            self.proc.kill()
            raise SystemExit(f"the demo did not start: {line!r}")
        self.url = found.group(1)

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run(argv: list[str], *, stdin: Path | None = None, timeout: float = 600.0, sample_rss: bool = False,
        environ: dict[str, str] | None = None, cwd: Path = ROOT) -> Run:
    """Run to completion, stdout to /dev/null (``cwd``: whose ``python -m incident_cli`` runs)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink, open(stdin or os.devnull, "rb") as source, tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(argv, stdin=source, stdout=sink, stderr=errors, cwd=cwd, env=client_env(**(environ or {})))
        samples = _RssSampler(proc.pid) if sample_rss else None
        status, usage = _wait(proc, timeout)
        elapsed = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:5])} failed ({os.waitstatus_to_exitcode(status)}): {stderr[-400:]}")
    return Run(
        wall=elapsed, cpu=usage.ru_utime + usage.ru_stime, peak_rss_mib=usage.ru_maxrss / 1024,
        rss_samples=samples.stop() if samples else [],
    )


def run_reading(argv: list[str], *, stdin: Path | None = None, timeout: float = 600.0) -> Run:
    """Run to completion reading stdout as it comes: per-line latency from `sentAt` stamps."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source:
        proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=client_env(), bufsize=0)
        latencies, lines = [], 0
        for line in proc.stdout:  # a line is timed the moment it can be read
            now = time.time()
            lines += 1
            stamp = SENT_AT.search(line)
            if stamp:
                latencies.append(now - float(stamp.group(1)))
        status, usage = _wait(proc, timeout)
    proc.stdout.close()
    return Run(wall=time.perf_counter() - started, cpu=usage.ru_utime + usage.ru_stime,
               peak_rss_mib=usage.ru_maxrss / 1024, lines=lines, latencies=latencies)


def _on_a_pty(argv: list[str], columns: int, rows: int) -> tuple[int, subprocess.Popen[bytes], float]:
    """Start ``argv`` with stdin, stdout and stderr on a pty of that size: (the pty's master end, the process, when)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                            env=client_env(TERM="xterm-256color"), start_new_session=True)
    os.close(slave)
    return master, proc, started


def in_pty(argv: list[str], *, seconds: float | None = None, steady_after: float = 0.0,
           columns: int = 120, rows: int = 40, timeout: float = 600.0) -> tuple[Run, float]:
    """Run on a terminal (a pty, drained) until it exits, or SIGTERM after ``seconds``.

    Returns the run and its CPU share (of one core) from ``steady_after`` seconds in to the
    end, so start-up does not count in a figure about streaming or idling.
    """
    master, proc, started = _on_a_pty(argv, columns, rows)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    time.sleep(steady_after)
    cpu_then, then = _cpu_of(proc.pid), time.perf_counter()
    if seconds is not None:
        time.sleep(max(0.0, seconds - steady_after))
        cpu_end, end = _cpu_of(proc.pid), time.perf_counter()
        proc.send_signal(signal.SIGTERM)
    status, usage = _wait(proc, timeout)
    if seconds is None:
        cpu_end, end = usage.ru_utime + usage.ru_stime, time.perf_counter()
    os.close(master)
    run = Run(wall=time.perf_counter() - started, cpu=usage.ru_utime + usage.ru_stime, peak_rss_mib=usage.ru_maxrss / 1024)
    return run, (cpu_end - cpu_then) / max(end - then, 1e-9)


def time_to_screen(argv: list[str], marker: bytes, *, columns: int = 140, rows: int = 60, timeout: float = 30.0) -> float:
    """Seconds from launch on a terminal (a pty) until ``marker`` is drawn; the client is then ended."""
    master, proc, started = _on_a_pty(argv, columns, rows)
    seen, shown = b"", float("nan")
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen = (seen + os.read(master, 65536))[-65536:]
                except OSError:
                    break
                if marker in seen:
                    shown = time.perf_counter() - started
                    break
    finally:
        proc.send_signal(signal.SIGTERM)
        threading.Thread(target=_drain, args=(master,), daemon=True).start()
        _wait(proc, 15)
        os.close(master)
    return shown


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass  # the pty closed


def _wait(proc: subprocess.Popen, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"{proc.args[:5]} ran past {timeout:.0f} s")
        time.sleep(0.001)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class _RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.done = pid, every, [], threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                self.samples.append(int(match.group(1)) / 1024)

    def stop(self) -> list[float]:
        self.done.set()
        self.join()
        return self.samples
