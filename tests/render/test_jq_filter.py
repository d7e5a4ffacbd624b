"""--jq: jq's own language over each record; strings raw as gh prints them, the rest compact JSON."""

import json

import pytest

from incident_cli.errors import UsageError
from incident_cli.render.jq_filter import compile_jq
from tests.helpers import demo_server, incidents

RECORD = {"v": 1, "kind": "incident", "severity": "P0", "title": "db \x1b]0;x\x07 down", "data": {"n": [1, 2]}}


def test_strings_are_raw_and_everything_else_one_compact_json_line():
    assert compile_jq(".severity", terminal=False)(RECORD) == [b"P0\n"]
    assert compile_jq("{s: .severity, n: .data.n}", terminal=False)(RECORD) == [b'{"s":"P0","n":[1,2]}\n']
    assert compile_jq(".data.n[]", terminal=False)(RECORD) == [b"1\n", b"2\n"]  # several results, several lines
    assert compile_jq('select(.severity == "P1")', terminal=False)(RECORD) == []


def test_on_a_terminal_a_server_string_cannot_carry_a_control_sequence():
    (line,) = compile_jq(".title", terminal=True)(RECORD)
    assert b"\x1b" not in line and b"\x07" not in line and line.startswith(b"db ")
    assert compile_jq(".title", terminal=False)(RECORD) == [b"db \x1b]0;x\x07 down\n"]  # a pipe gets it as sent


def test_a_bad_program_is_a_usage_error_and_a_failing_one_raises_for_its_record():
    with pytest.raises(UsageError, match=r"^--jq: syntax error"):
        compile_jq(".[", terminal=False)
    with pytest.raises(ValueError):
        compile_jq(".severity | ascii_downcase | explode | implode | tonumber", terminal=False)(RECORD)


def test_watch_and_list_with_jq_against_the_demo():
    with demo_server("--rate", "40") as server:
        shaped = incidents("watch", "-u", server.url, "-n", "8", "--jq", '"\\(.severity) \\(.kind) \\(.title)"')
        listed = incidents("list", "-u", server.url, "-o", "json", "--jq", "{id: .incident_id, t: .title}")
        failing = incidents("watch", "-u", server.url, "-n", "6", "--jq", ".data.title | ascii_downcase")
        mixed = incidents("watch", "-u", server.url, "--jq", ".", "-o", "table")
    assert shaped.returncode == 0, shaped.stderr
    lines = shaped.stdout.splitlines()
    assert len(lines) == 8 and all(line.split()[0] in ("P0", "P1", "P2", "P3", "P4") for line in lines)
    assert all(set(json.loads(line)) == {"id", "t"} for line in listed.stdout.splitlines())
    # Records without a title (updates, state changes: their data has none) fail the program: said once, left out.
    assert failing.returncode == 0 and failing.stderr.count("--jq:") == 1
    assert mixed.returncode == 2 and "--jq filters JSON lines" in mixed.stderr


def test_a_program_that_never_ends_costs_one_record_its_budget_and_the_next_one_still_runs():
    import time

    from incident_cli.render.jq_filter import JqShaper

    shaper = JqShaper('if .severity == "P0" then (def f: f; f) else .severity end', terminal=False, budget=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(ValueError, match="ran past 0.5 s on a record"):
            shaper(RECORD)
        assert time.monotonic() - started < 5
        assert shaper({**RECORD, "severity": "P1"}) == [b"P1\n"]  # a fresh process for the next record
    finally:
        shaper.close()


def test_a_raw_string_with_newlines_comes_back_whole():
    shaper = compile_jq('"a\\nb"', terminal=False)
    try:
        assert shaper(RECORD) == [b"a\n", b"b\n"]
    finally:
        shaper.close()


@pytest.mark.parametrize(("signum", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_runaway_program_never_keeps_a_signal_from_ending_the_run(signum, status):
    import signal
    import subprocess
    import time

    from tests.helpers import INCIDENTS, read_line, seconds

    with demo_server("--rate", "50") as server:
        proc = subprocess.Popen([*INCIDENTS, "watch", "--url", server.url, "--jq", "def f: f; f"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            said = read_line(proc.stderr, 20)  # the first record ran out of time: the program is spinning
            assert "ran past 1 s on a record" in said, said
            sent = time.monotonic()
            proc.send_signal(getattr(signal, signum))
            assert proc.wait(seconds(10)) == status
            assert time.monotonic() - sent < seconds(3)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()


def test_a_program_that_runs_out_of_time_on_record_after_record_ends_the_run_with_2():
    with demo_server("--rate", "50") as server:
        result = incidents("watch", "--url", server.url, "--jq", "def f: f; f", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "--jq: the program ran past 1 s on 3 records in a row: it does not seem to end" in result.stderr
    assert result.stderr.count("ran past 1 s on a record") == 1  # said once, as jq's own errors are
