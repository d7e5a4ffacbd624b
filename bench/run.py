"""`incidents` side by side with the floor loops and gql-cli, interleaved, with medians.

Usage: python -m bench.run [--events N] [--reps K] [--long M] [--smoke] [--only SECTION ...] [--before DIR]

Sections: throughput (and peak RSS), latency (stdout p50/p99 at a paced rate), first
(a one-event run), startup (--version, --help, a completion), table (CPU at 10,000
events/s and at idle, memory over many incidents), memory (RSS over a long JSON-lines
run), restart (first event after the server comes back). --smoke runs every section
tiny and quick, so CI knows the harness works; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.measure import PY, ROOT, Demo, Flood, client_env, in_pty, run, run_reading, time_to_screen

QUERY = "subscription { newIncidents { id title severity state } }"
QUERY_FILE = ROOT / "bench" / "query.graphql"
SECTIONS = ("throughput", "latency", "first", "startup", "table", "memory", "restart")


def incidents(url: str, *extra: str) -> list[str]:
    return [PY, "-m", "incident_cli", "watch", "--url", url, "-q", str(QUERY_FILE), "--no-schema", *extra]


def watch(url: str, *extra: str) -> list[str]:
    return [PY, "-m", "incident_cli", "watch", "--url", url, "-o", "jsonl", *extra]


def gql_cli() -> str | None:
    return shutil.which("gql-cli") or shutil.which("gql-cli", path=str(Path(PY).parent))


def clients(url: str) -> dict[str, list[str]]:
    """Every client the harness compares on one document, as argv; gql-cli where the bench extra is installed."""
    found = {
        "incidents": incidents(url, "-o", "jsonl"),
        "floor-orjson": [PY, "-m", "bench.floor", url, "orjson"],
        "floor-stdlib": [PY, "-m", "bench.floor", url, "stdlib"],
    }
    if gql_cli():
        found["gql-cli"] = [gql_cli(), url, "--transport", "websockets"]
    return found


@dataclass(frozen=True)
class Runner:
    argv: list[str]
    streams: int = 1  # subscriptions the flood serves N frames each
    cwd: Path = ROOT  # the checkout whose `python -m incident_cli` runs (--before: another one)


def stream_clients(url: str, introspecting: str) -> dict[str, Runner]:
    """The paths users run beside the floors (issue 16): built-in streams, the default, a custom document."""
    found = {
        "lean sans-I/O + orjson": Runner([PY, "-m", "bench.lean", url]),
        "floor-orjson": Runner([PY, "-m", "bench.floor", url, "orjson"]),
        "fused --subscribe critical work (a path with no layers)": Runner([PY, "-m", "bench.fused", url]),
        "incidents --subscribe critical": Runner(watch(url, "--subscribe", "critical")),
        "incidents --subscribe critical, introspection": Runner(watch(introspecting, "--subscribe", "critical")),
        "incidents --subscribe critical --no-repair": Runner(watch(url, "--subscribe", "critical", "--no-repair")),
        "incidents --severity P0,P1 (3 streams)": Runner(watch(url, "--severity", "P0,P1"), streams=3),
        "incidents -q query.graphql --no-schema": Runner(incidents(url, "-o", "jsonl")),
    }
    if gql_cli():
        found["gql-cli"] = Runner([gql_cli(), url, "--transport", "websockets"])
    return found


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(title: str, unit: str, figures: dict[str, list[float]], fmt: str, ratio_to: str | None = None) -> None:
    """One markdown table; the ratio column is each median divided by ``ratio_to``'s."""
    ratio_head = f" | / {ratio_to}" if ratio_to else ""
    print(f"\n| {title} | median | min-max{ratio_head} |\n|---|---|---|{'---|' if ratio_to else ''}")
    base = median(figures.get(ratio_to, [])) if ratio_to else None
    for name, values in figures.items():
        cells = f"| {name} | {fmt.format(median(values))} {unit} | {fmt.format(min(values))}-{fmt.format(max(values))}"
        if base:
            cells += f" | {median(values) / base:.2f}x"
        print(cells + " |")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


# ---- sections ------------------------------------------------------------------------------


def throughput(args: argparse.Namespace) -> None:
    cache = tempfile.mkdtemp(prefix="incidents-bench-")  # the schema cache: warm after the first run, as a user's
    # 50 ms before each stream's first frame by default: the list that starts gap repair is answered
    # first; --start-after 0 is the flood a busy server sends the moment the stream is subscribed,
    # where the list's answer waits behind it (every client waits the same).
    start = ("--count", str(args.events), "--start-after", str(args.start_after))
    with Flood(*start) as flood, Flood(*start, "--introspection") as open_:
        runners = {name: runner for name, runner in stream_clients(flood.url, open_.url).items()
                   if not args.clients or name in ("floor-orjson", "gql-cli") or any(c in name for c in args.clients)}
        if args.before is not None:  # the same paths from another checkout, interleaved with these
            runners |= {f"before: {name}": replace(runner, cwd=args.before)
                        for name, runner in list(runners.items()) if name.startswith("incidents")}
        rates: dict[str, list[float]] = {name: [] for name in runners}
        rss: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(args.reps):
            for name, runner in runners.items():  # interleaved: a slow moment hits every client alike
                done = run(runner.argv, stdin=QUERY_FILE, environ={"XDG_CACHE_HOME": cache}, cwd=runner.cwd)
                rates[name].append(args.events * runner.streams / done.wall)
                rss[name].append(done.peak_rss_mib)
    shutil.rmtree(cache, ignore_errors=True)
    flood_name = f"the first frame {args.start_after * 1000:g} ms after the subscribe"
    table(f"throughput, {args.events:,} events a stream, {flood_name}", "events/s", rates, "{:,.0f}",
          ratio_to="floor-orjson")
    if "gql-cli" in rates:
        gql = median(rates["gql-cli"])
        print("\n| / gql-cli | ratio |\n|---|---|")
        for name in (n for n in rates if n.startswith(("incidents", "before: "))):
            print(f"| {name} | {median(rates[name]) / gql:.2f}x |")
    table(f"peak RSS, {args.events:,} events a stream", "MiB", rss, "{:.0f}", ratio_to="floor-orjson")


def latency(args: argparse.Namespace) -> None:
    count = int(args.rate * args.latency_seconds)
    with Flood("--count", str(count), "--rate", str(args.rate)) as flood:
        p50: dict[str, list[float]] = {}
        p99: dict[str, list[float]] = {}
        for _ in range(args.reps):
            for name, argv in clients(flood.url).items():
                done = run_reading(argv, stdin=QUERY_FILE)
                p50.setdefault(name, []).append(percentile(done.latencies, 0.50) * 1000)
                p99.setdefault(name, []).append(percentile(done.latencies, 0.99) * 1000)
    table(f"stdout latency p50, {args.rate:,.0f} events/s", "ms", p50, "{:.2f}", ratio_to="floor-orjson")
    table(f"stdout latency p99, {args.rate:,.0f} events/s", "ms", p99, "{:.2f}", ratio_to="floor-orjson")


def first(args: argparse.Namespace) -> None:
    with Flood("--count", "1") as flood:
        walls: dict[str, list[float]] = {}
        for _ in range(args.reps):
            for name, argv in clients(flood.url).items():
                walls.setdefault(name, []).append(run(argv, stdin=QUERY_FILE).wall)
    table("one-event run", "s", walls, "{:.3f}", ratio_to="floor-stdlib")


def startup(args: argparse.Namespace) -> None:
    complete = {"COMP_WORDS": "incidents watch --severity P", "COMP_CWORD": "2", "_INCIDENTS_COMPLETE": "complete_bash"}
    runners = {
        "python -c pass": [PY, "-c", "pass"],
        "incidents --version": [PY, "-m", "incident_cli", "--version"],
        "incidents --help": [PY, "-m", "incident_cli", "--help"],
        "completion (bash TAB)": [PY, "-m", "incident_cli"],
    }
    walls: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.startup_reps):
        for name, argv in runners.items():
            started = time.perf_counter()
            extra = complete if name.startswith("completion") else {}
            subprocess.run(argv, env=client_env(**extra), cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            walls[name].append(time.perf_counter() - started)
    table("start-up", "s", walls, "{:.3f}", ratio_to="python -c pass")


VIEWS = {"console": (), "live table": ("--no-input",)}  # on a terminal with keys, and without


def table_view(args: argparse.Namespace) -> None:
    """The console (stdin, stdout and stderr on a pty) and the Live table (--no-input), side by side."""
    count = int(args.table_rate * args.table_seconds)
    print("\n| table views | console | live table |\n|---|---|---|")
    first = []
    with Demo("--incidents", "50", "--rate", "0") as url:
        for _ in range(args.reps):
            # The console's count line says "50 open" once every row is in.
            first.append(time_to_screen([PY, "-m", "incident_cli", "watch", "--url", url], b"50 open", timeout=30))
    print(f"| first frame with all 50 active incidents of the demo, median of {args.reps} (min-max) | "
          f"{median(first):.2f} s ({min(first):.2f}-{max(first):.2f}) | - |")
    cpu, lag, rss, idle = {}, {}, {}, {}
    for name, extra in VIEWS.items():
        with Flood("--count", str(count), "--rate", str(args.table_rate), "--distinct") as flood:
            argv = incidents(flood.url, "-o", "table", "--count", str(count), *extra)
            done, cpu[name] = in_pty(argv, steady_after=min(2.0, args.table_seconds / 2), timeout=args.table_seconds * 3 + 30)
            sent = flood.finished_at(timeout=5)
        lag[name] = (time.time() - sent) if sent else float("nan")  # measured right after the client exited
        rss[name] = done.peak_rss_mib
        with Flood("--count", "0", "--hold") as flood:
            settle = min(2.0, args.idle_seconds)  # the first frames are not idle
            _, idle[name] = in_pty(incidents(flood.url, "-o", "table", *extra), seconds=args.idle_seconds + settle,
                                   steady_after=settle)
    rate = f"{args.table_rate:,.0f} events/s for {args.table_seconds:g} s"
    print(f"| {rate}, CPU while streaming | " + " | ".join(f"{cpu[n] * 100:.0f}% of a core" for n in VIEWS) + " |")
    print("| backlog: done this long after the last frame was sent | " + " | ".join(f"{lag[n]:.2f} s" for n in VIEWS) + " |")
    print("| peak RSS | " + " | ".join(f"{rss[n]:.0f} MiB" for n in VIEWS) + " |")
    print(f"| idle (connected, no events) for {args.idle_seconds:g} s, CPU | "
          + " | ".join(f"{idle[n] * 100:.2f}% of a core" for n in VIEWS) + " |")
    for many in (args.table_incidents // 10, args.table_incidents):
        peaks = []
        for extra in VIEWS.values():
            with Flood("--count", str(many), "--distinct") as flood:
                done, _ = in_pty(incidents(flood.url, "-o", "table", "--count", str(many), *extra), timeout=600)
            peaks.append(f"{done.peak_rss_mib:.0f} MiB")
        print(f"| peak RSS after {many:,} distinct incidents (the board keeps 2,000) | " + " | ".join(peaks) + " |")


def memory(args: argparse.Namespace) -> None:
    print(f"\n| {args.long:,} distinct incidents, JSON lines | peak RSS | RSS at 25% of the run | at the end | events/s |")
    print("|---|---|---|---|---|")
    with Flood("--count", str(args.long), "--distinct") as flood:
        for name in ("incidents", "floor-orjson"):
            done = run(clients(flood.url)[name], stdin=QUERY_FILE, sample_rss=True, timeout=1800)
            samples = done.rss_samples
            quarter, end = (f"{samples[len(samples) // 4]:.0f} MiB", f"{samples[-1]:.0f} MiB") if samples else ("-", "-")
            print(f"| {name} | {done.peak_rss_mib:.0f} MiB | {quarter} | {end} | {args.long / done.wall:,.0f} |")


def restart(args: argparse.Namespace) -> None:
    """Kill the server under a running client, bring it back on the same port, time the first event."""
    delays = []
    flood = Flood("--count", "10000000", "--rate", "200", "--hold")
    port = flood.port
    proc = subprocess.Popen(incidents(flood.url, "-o", "jsonl"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=ROOT, env=client_env(), bufsize=0)
    arrivals: list[float] = []
    got = threading.Condition()

    def read() -> None:
        for _ in proc.stdout:
            with got:
                arrivals.append(time.time())
                got.notify_all()

    threading.Thread(target=read, daemon=True).start()

    def line_after(moment: float, timeout: float = 15.0) -> float | None:
        with got:
            got.wait_for(lambda: arrivals and arrivals[-1] > moment, timeout)
            later = [t for t in arrivals if t > moment]
            return later[0] if later else None

    try:
        if line_after(0.0) is None:
            raise SystemExit("restart: the client never received an event")
        for _ in range(args.reps):
            flood.stop()
            time.sleep(args.down_seconds)
            flood = Flood("--count", "10000000", "--rate", "200", "--hold", port=port)
            arrived = line_after(flood.ready_at)
            delays.append((arrived - flood.ready_at) if arrived else float("inf"))
            time.sleep(args.settle_seconds)  # a deploy comes after healthy uptime, not in a flapping loop
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        flood.stop()
    table(f"first event after a restart ({args.down_seconds:g} s down)", "s", {"incidents": delays}, "{:.2f}")


RUNNERS = {"throughput": throughput, "latency": latency, "first": first, "startup": startup,
           "table": table_view, "memory": memory, "restart": restart}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--events", type=int, default=200_000, help="throughput flood size")
    parser.add_argument("--start-after", type=float, default=0.05,
                        help="throughput: seconds between a subscribe and its flood (0: at once, as a busy server)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--long", type=int, default=1_000_000, help="events in the memory run")
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s for the latency runs")
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--table-rate", type=float, default=10_000.0)
    parser.add_argument("--table-seconds", type=float, default=20.0)
    parser.add_argument("--table-incidents", type=int, default=200_000)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--startup-reps", type=int, default=5)
    parser.add_argument("--down-seconds", type=float, default=2.0)
    parser.add_argument("--settle-seconds", type=float, default=11.0,
                        help="uptime between restarts: over 10 s, the client counts the connection healthy")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--clients", nargs="+", default=[], help="throughput: only clients whose names hold these")
    parser.add_argument("--before", type=Path, default=None,
                        help="throughput: also run the incidents paths from this checkout (a worktree of an older "
                        "commit), interleaved, as 'before: ...'")
    parser.add_argument("--smoke", action="store_true", help="every section, tiny: that the harness works")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.reps, args.long, args.latency_seconds = 300, 1, 2000, 0.2
        args.table_rate, args.table_seconds, args.table_incidents, args.idle_seconds = 500.0, 0.5, 3000, 0.5
        args.down_seconds, args.settle_seconds, args.startup_reps = 0.5, 0.5, 1
    QUERY_FILE.write_text(QUERY)
    print(f"# bench: {time.strftime('%Y-%m-%d')}, {args.reps} interleaved runs each, medians (min-max)")
    for name in args.only:
        RUNNERS[name](args)


if __name__ == "__main__":
    main()
