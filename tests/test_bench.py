"""The benchmark harness keeps working (no timing assertions: figures are for bench/RESULTS.md)."""

import re
import subprocess
import sys

from tests.helpers import ROOT, seconds


def test_bench_smoke_run_prints_every_section_with_incidents_in_it():
    result = subprocess.run([sys.executable, "-m", "bench.run", "--smoke"], capture_output=True, text=True,
                            timeout=seconds(180), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-1000:]
    out = result.stdout
    for heading in ("| throughput,", "| peak RSS,", "| stdout latency p50,", "| stdout latency p99,",
                    "| one-event run |", "| start-up |", "| table views | console | live table |", "distinct incidents, JSON lines",
                    "| first event after a restart"):
        assert heading in out, heading
    streamed = ("lean sans-I/O \\+ orjson", "floor-orjson", "gql-cli", "incidents --subscribe critical",
                "fused --subscribe critical work \\(a path with no layers\\)",
                "incidents --subscribe critical, introspection", "incidents --subscribe critical --no-repair",
                "incidents --severity P0,P1 \\(3 streams\\)", "incidents -q query.graphql --no-schema")
    for client in streamed:
        assert re.search(rf"^\| {client} \| [0-9.,]+ events/s \|", out, re.M), client  # every client streamed
    assert re.search(r"^\| incidents --subscribe critical \| [0-9.]+x \|", out, re.M)  # the ratio to gql-cli
    # Latency came from stamped lines the client printed, and the restarted server was reached.
    assert re.search(r"^\| incidents \| [0-9.]+ ms \|", out, re.M)
    restart = out[out.index("| first event after a restart"):]
    assert re.search(r"^\| incidents \| [0-9.]+ s \|", restart, re.M)
    assert re.search(r"^\| first frame with all 50 active incidents of the demo.* \| [0-9.]+ s ", out, re.M)  # the console drew them
    assert "nan" not in out and "inf" not in out


def test_throughput_runs_another_checkout_beside_this_one_when_asked():
    # This checkout stands in for the older one: the rows appear, interleaved, with their figures.
    result = subprocess.run([sys.executable, "-m", "bench.run", "--only", "throughput", "--events", "300", "--reps", "1",
                             "--clients", "subscribe critical --no-repair", "--before", str(ROOT)],
                            capture_output=True, text=True, timeout=seconds(120), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-1000:]
    for name in ("incidents --subscribe critical --no-repair", "before: incidents --subscribe critical --no-repair"):
        assert re.search(rf"^\| {re.escape(name)} \| [0-9.,]+ events/s \|", result.stdout, re.M), name


def test_the_steps_bench_measures_every_step_of_the_path():
    result = subprocess.run([sys.executable, "-m", "bench.steps", "--events", "1000", "--reps", "1"],
                            capture_output=True, text=True, timeout=seconds(60), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-1000:]  # each step checks it did its work
    rows = re.findall(r"^\| (.+?) \| (every client|ours|bound) \| ([0-9.]+) \|$", result.stdout, re.M)
    assert len(rows) == 12 and all(float(cost) > 0 for _, _, cost in rows)
    assert any(name.startswith("tracker, fast lane") for name, _, _ in rows)


def test_the_decoder_comparison_runs_and_prints_every_row():
    result = subprocess.run([sys.executable, "-m", "bench.decoders", "--events", "200", "--reps", "1"],
                            capture_output=True, text=True, timeout=seconds(60), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-1000:]
    for row in ("orjson.loads to dicts (today)", "msgspec into typed Structs", "model.Incident.from_data(dict) (today)",
                "decode + value: msgspec typed"):
        assert re.search(rf"^\| [^|]*{re.escape(row)}[^|]* \| [0-9.]+ \|$", result.stdout, re.M), row
    assert re.search(r"^\| msgspec Struct \| [0-9]+ \|$", result.stdout, re.M)
