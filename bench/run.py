"""Run `incidents -o jsonl` side by side with the floor loops, interleaved, and print medians.

Usage: python -m bench.run [--events N] [--reps K] [--smoke]
Figures: throughput (events/s) on a flood of N incidents, stdout to /dev/null, whole
process; time for a one-event run; start-up of --version and --help; peak RSS.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "subscription { newIncidents { id title severity state } }"
PY = sys.executable


def clients(url: str) -> dict[str, list[str]]:
    found = {
        "incidents": [PY, "-m", "incident_cli", "watch", "--url", url, "-q", QUERY_FILE, "--no-schema", "-o", "jsonl"],
        "floor-stdlib": [PY, "-m", "bench.floor", url, "stdlib"],
    }
    if importlib.util.find_spec("orjson") is not None:
        found["floor-orjson"] = [PY, "-m", "bench.floor", url, "orjson"]
    return found


QUERY_FILE = str(ROOT / "bench" / "query.graphql")


def flood(count: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([PY, "-m", "bench.flood", "0", str(count)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    port = re.search(r"listening (\d+)", line).group(1)
    return proc, f"ws://127.0.0.1:{port}/graphql/ws"


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run, stdout to /dev/null."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:4]} failed: {stderr[-300:]}")
    return elapsed, usage.ru_maxrss


def row(name: str, values: list[float], unit: str, fmt: str = "{:,.0f}") -> str:
    median = statistics.median(values)
    return f"| {name} | {fmt.format(median)} {unit} | {fmt.format(min(values))}-{fmt.format(max(values))} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny and quick: that the harness works")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.reps = 300, 1
    Path(QUERY_FILE).write_text(QUERY)

    server, url = flood(args.events)
    try:
        runners = clients(url)
        throughput: dict[str, list[float]] = {name: [] for name in runners}
        rss: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(args.reps):
            for name, argv in runners.items():  # interleaved: load changes hit every client alike
                elapsed, peak = measure(argv)
                throughput[name].append(args.events / elapsed)
                rss[name].append(peak / 1024)
    finally:
        server.kill()
        server.wait()
    one, one_url = flood(1)
    try:
        first = {name: [measure(argv)[0] for _ in range(args.reps)] for name, argv in clients(one_url).items()}
    finally:
        one.kill()
        one.wait()
    startup = {
        "python -c pass": [measure([PY, "-c", "pass"])[0] for _ in range(args.reps)],
        "incidents --version": [measure([PY, "-m", "incident_cli", "--version"])[0] for _ in range(args.reps)],
        "incidents --help": [measure([PY, "-m", "incident_cli", "--help"])[0] for _ in range(args.reps)],
    }

    floor = statistics.median(throughput.get("floor-orjson") or throughput["floor-stdlib"])
    print(f"## {args.events:,} events, {args.reps} runs each, medians (min-max)\n")
    print("| throughput | median | range |\n|---|---|---|")
    for name, values in throughput.items():
        print(row(name, values, "events/s") + f" {statistics.median(values) / floor:.2f}x floor |")
    print("\n| peak RSS | median | range |\n|---|---|---|")
    for name, values in rss.items():
        print(row(name, values, "MiB", "{:.0f}"))
    print("\n| one-event run | median | range |\n|---|---|---|")
    for name, values in first.items():
        print(row(name, values, "s", "{:.3f}"))
    print("\n| start-up | median | range |\n|---|---|---|")
    for name, values in startup.items():
        print(row(name, values, "s", "{:.3f}"))


if __name__ == "__main__":
    main()
