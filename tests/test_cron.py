"""Cron and scripts: bounded runs that exit with a status that says what they saw, and the probe."""

import contextlib
import json
import os
import re
import socket
import subprocess
import time

from tests.helpers import INCIDENTS, demo, incidents, read_line, seconds


def env(**extra):
    return {**{k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}, **extra}


def test_once_prints_the_active_incidents_and_exits():
    with demo("--rate", "0") as url:
        everything = incidents("watch", "--url", url, "--once", env=env())
        critical = incidents("watch", "--url", url, "--once", "--severity", "P0,P1", env=env())
        recent = incidents("watch", "--url", url, "--once", "--since", "1ms", env=env())
    lines = [json.loads(line) for line in everything.stdout.splitlines()]
    assert everything.returncode == 0 and len(lines) == 6  # the demo's seeded incidents
    assert {line["subscription"] for line in lines} == {"backfill"} and all(line["data"]["id"] for line in lines)
    assert {json.loads(line)["severity"] for line in critical.stdout.splitlines()} <= {"P0", "P1"}
    assert recent.returncode == 0 and recent.stdout == ""  # all older than a millisecond


def test_fail_on_exits_3_when_such_an_incident_was_seen_and_0_when_not():
    with demo("--rate", "200", "--seed", "3") as busy:
        seen = incidents("watch", "--url", busy, "--for", "2s", "--fail-on", "P0", env=env())
    with demo("--rate", "0") as quiet:
        unseen = incidents("watch", "--url", quiet, "--for", "1s", "--fail-on", "P0", env=env())
    assert seen.returncode == 3, seen.stderr
    assert any(json.loads(line)["severity"] == "P0" for line in seen.stdout.splitlines())
    assert unseen.returncode == 0 and unseen.stdout == ""


def test_idle_exit_ends_a_quiet_run_even_with_heartbeats():
    with demo("--rate", "0", "--heartbeat", "0.1") as url:
        started = time.monotonic()
        result = incidents("watch", "--url", url, "--idle-exit", "0.7s", env=env())
    assert result.returncode == 0 and time.monotonic() - started < 10


def test_check_tells_the_outcomes_apart():
    with demo("--token", "s3cret") as url:
        ok = incidents("check", "--url", url, env=env(INCIDENTS_TOKEN="s3cret"))
        ok_json = incidents("check", "--url", url, "--json", env=env(INCIDENTS_TOKEN="s3cret"))
        denied = incidents("check", "--url", url, "--json", env=env(INCIDENTS_TOKEN="nope"))
    assert ok.returncode == 0 and re.match(r"ok: ws://\S+ speaks graphql-transport-ws; handshake [\d.]+ ms, ping", ok.stdout)
    record = json.loads(ok_json.stdout)
    assert record["ok"] and record["ping_ms"] is not None and record["active_incidents"] >= 6
    assert all(round(record[key], 1) == record[key] for key in ("handshake_ms", "ping_ms", "query_ms"))  # rounded
    assert denied.returncode == 77 and json.loads(denied.stdout)["status"] == 77
    unreachable = incidents("check", "--url", "ws://127.0.0.1:9/graphql/ws", env=env())
    assert unreachable.returncode == 69 and "unreachable" in unreachable.stderr
    proc = subprocess.Popen([*INCIDENTS, "demo", "--port", "0", "--jwt-secret", "k", "--refresh-token", "r"],
                            stderr=subprocess.PIPE, text=True)
    try:
        read_line(proc.stderr, 15)
        not_ws = re.search(r"refresh at http://(\S+)/auth/refresh", read_line(proc.stderr, 15)).group(1)
        mismatch = incidents("check", "--url", f"ws://{not_ws}/graphql/ws", env=env())
    finally:
        proc.kill()
        proc.wait(10)
        proc.stderr.close()
    assert mismatch.returncode == 76  # an HTTP server, not a WebSocket endpoint


def test_check_on_the_legacy_protocol_has_no_ping():
    with demo("--protocol", "graphql-ws") as url:
        result = incidents("check", "--url", url, "--json", env=env())
    record = json.loads(result.stdout)
    assert result.returncode == 0 and record["subprotocol"] == "graphql-ws" and record["ping_ms"] is None


NOWHERE = "ws://127.0.0.1:9/graphql/ws"  # nothing listens on the discard port


@contextlib.contextmanager
def blackhole():
    """A port that completes TCP handshakes and then never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}/graphql/ws"


def test_bounded_runs_that_never_connected_exit_69_not_0():
    for args in (["--for", "0.5s", "--fail-on", "P0"], ["--count", "3", "--for", "0.5s"], ["--idle-exit", "0.5s"]):
        result = incidents("watch", "--url", NOWHERE, *args, env=env())
        assert result.returncode == 69, (args, result.stderr)
        last = result.stderr.splitlines()[-1]
        assert last.startswith(f"incidents: error: never connected to {NOWHERE} during the 0.") and "Connection refused" in last
        assert result.stdout == ""


def test_one_shot_runs_give_up_connecting_after_the_connect_timeout():
    query = "{ incidents { pageInfo { totalCount } } }"
    with blackhole() as silent:
        for url in (NOWHERE, silent):
            for args in (["--once"], ["-q", "-"]):
                started = time.monotonic()
                result = incidents("watch", "--url", url, "--connect-timeout", "0.5s", *args, input=query, env=env())
                assert result.returncode == 69, (url, args, result.stderr)
                said = result.stderr.splitlines()[-1]
                assert f"error: could not connect to {url} within 0.5 s" in said
                if url == silent:  # a host that never answers: said so, never "(0 failed attempts)"
                    assert "(the first attempt still under way): no answer to the first attempt" in said
                assert time.monotonic() - started < seconds(8)


def test_a_run_connected_for_part_of_the_time_says_so_on_stderr_and_in_status_events():
    with demo("--rate", "100", "--fault", "close_after=5", "--fault", "close_code=1012",
                      "--fault", "connections=1") as url:
        result = incidents("watch", "--url", url, "--subscribe", "updates", "--for", "2s", "--status-events", env=env())
    assert result.returncode == 0, result.stderr
    assert re.search(r"warning: connected for [\d.]+ s of the 2\.\d s run; 1 disconnect", result.stderr)
    (coverage,) = [r for r in map(json.loads, result.stdout.splitlines()) if r.get("event") == "coverage"]
    assert coverage["data"]["partial"] is True and coverage["data"]["disconnects"] == 1


def test_a_reader_that_only_pauses_gets_every_line_and_the_run_ends_0():
    # `incidents list | (sleep 4; cat)`: the reader pauses past the end of the run.
    with demo("--rate", "0", "--incidents", "3000") as url:
        proc = subprocess.Popen([*INCIDENTS, "list", "--url", url, "-o", "jsonl"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        try:
            assert proc.stdout.peek(1)  # the pipe fills...
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(seconds(4))  # ...and the reader looks away for longer than the run lasts
            out = proc.stdout.read()
            status = proc.wait(seconds(30))
            stderr = proc.stderr.read().decode()
        finally:
            proc.kill()
            proc.stdout.close()
            proc.stderr.close()
    assert status == 0, stderr
    assert len(out.splitlines()) == 3000 and "not written" not in stderr


def test_lines_lost_to_a_reader_that_stopped_taking_them_end_the_run_with_75(monkeypatch):
    from incident_cli.cli.app import run as run_cli
    from incident_cli.env import Env
    from incident_cli.render import lines

    monkeypatch.setattr(lines, "OUTPUT_STALL", 0.5)
    read_fd, write_fd = os.pipe()  # nobody reads
    stdout = os.fdopen(write_fd, "w")
    stderr = __import__("io").StringIO()
    with demo("--rate", "0", "--incidents", "3000") as url:
        status = run_cli(["list", "--url", url, "-o", "jsonl"],
                         Env(stdin=__import__("io").StringIO(), stdout=stdout, stderr=stderr, environ=env()))
    stdout.close()
    os.close(read_fd)
    assert status == 75, stderr.getvalue()
    said = stderr.getvalue()
    assert "lines not written: the reader of stdout stopped reading" in said and "of output lost" in said
