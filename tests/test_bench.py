"""The benchmark harness keeps working (no timing assertions: figures are for bench/RESULTS.md)."""

import subprocess
import sys

from tests.helpers import ROOT, seconds


def test_bench_smoke_run_prints_every_table():
    result = subprocess.run([sys.executable, "-m", "bench.run", "--smoke"], capture_output=True, text=True,
                            timeout=seconds(120), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-1000:]
    for heading in ("| throughput |", "| peak RSS |", "| one-event run |", "| start-up |"):
        assert heading in result.stdout
    assert "| incidents |" in result.stdout and "| floor-stdlib |" in result.stdout
