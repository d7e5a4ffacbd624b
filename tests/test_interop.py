"""Interop with servers nobody on this team wrote: graphql-ws's reference server and Apollo's
legacy subscriptions-transport-ws, both from npm (tests/interop, installed by .ci/run)."""

import contextlib
import json
import os
import re
import shutil
import subprocess

import pytest

from tests.helpers import INCIDENTS, ROOT, incidents, read_line, seconds

PEERS = ROOT / "tests" / "interop"

if shutil.which("node") is None or not (PEERS / "node_modules" / "graphql-ws").is_dir():
    if os.environ.get("CI"):
        raise RuntimeError("the interop peers are required in CI (.ci/run runs npm ci in tests/interop)")
    pytest.skip("node or the interop peers are not installed (npm ci --prefix tests/interop)", allow_module_level=True)


@contextlib.contextmanager
def peer(script, token=None, **extra):
    env = {**os.environ, **({"PEER_TOKEN": token} if token else {}), **extra}
    proc = subprocess.Popen(["node", str(PEERS / script), "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = read_line(proc.stdout, 15)
        port = re.search(r"listening (\d+)", line)
        assert port, f"{script} did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        proc.log = []
        yield f"ws://127.0.0.1:{port.group(1)}/graphql/ws", proc
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def env(**extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}
    return {**base, **extra}


def records(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def peer_log(proc):
    """What the peer has logged since it said it was listening (until it has been quiet a moment)."""
    lines = []
    while True:
        try:
            line = read_line(proc.stdout, 0.5)
        except TimeoutError:
            return lines
        if not line:
            return lines
        lines.append(line)


def closes_seen(proc):
    """The peer logs `closed CODE` for every connection it saw end."""
    return [int(line.split()[1]) for line in peer_log(proc) if line.startswith("closed ")]


# ---- graphql-ws (graphql-transport-ws) ----------------------------------------------------


def test_graphql_ws_server_filters_with_variables_and_completes_cleanly():
    with peer("graphql_ws_peer.mjs") as (url, proc):
        result = incidents("watch", "--url", url, "--subscribe", "new", "--severity", "P3,P4", "-n", "10", env=env())
        assert result.returncode == 0, result.stderr
        lines = records(result.stdout)
        assert len(lines) == 10 and {line["severity"] for line in lines} <= {"P3", "P4"}
        assert closes_seen(proc) == [1000]  # complete, then close 1000


def test_graphql_ws_server_default_streams_with_client_side_filtering():
    with peer("graphql_ws_peer.mjs") as (url, _proc):
        result = incidents("watch", "--url", url, "--severity", "P0,P1", "-n", "20", env=env())
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)
    assert len(lines) == 20 and {line["severity"] for line in lines} <= {"P0", "P1"}
    assert {line["kind"] for line in lines} >= {"incident", "state_change"}


def test_graphql_ws_server_critical_stream():
    with peer("graphql_ws_peer.mjs") as (url, _proc):
        result = incidents("watch", "--url", url, "--subscribe", "critical", "-n", "6", env=env())
    assert result.returncode == 0 and {r["severity"] for r in records(result.stdout)} <= {"P0", "P1"}


def test_graphql_ws_server_answers_our_pings_and_the_stream_survives():
    with peer("graphql_ws_peer.mjs") as (url, _proc):
        result = incidents(
            "watch", "--url", url, "--subscribe", "updates", "--for", "2s", "--status-events",
            "--ping-interval", "0.2s", "--ping-timeout", "0.5s", env=env(),
        )
    assert result.returncode == 0, result.stderr
    statuses = [r for r in records(result.stdout) if r["kind"] == "status"]
    assert statuses and {s["event"] for s in statuses} == {"connected", "coverage"}  # never reconnected
    assert statuses[-1]["data"]["partial"] is False and statuses[-1]["data"]["disconnects"] == 0


def test_graphql_ws_server_rejects_a_bad_token_with_4403():
    with peer("graphql_ws_peer.mjs", token="s3cret") as (url, _proc):
        good = incidents("watch", "--url", url, "--subscribe", "new", "-n", "2", env=env(INCIDENTS_TOKEN="s3cret"))
        bad = incidents("watch", "--url", url, "--subscribe", "new", "-n", "2", env=env(INCIDENTS_TOKEN="nope"))
    assert good.returncode == 0, good.stderr
    assert bad.returncode == 77 and "4403" in bad.stderr and bad.stderr.count("\n") == 1


def test_graphql_ws_server_bad_documents():
    with peer("graphql_ws_peer.mjs") as (url, _proc):
        syntax = incidents("watch", "--url", url, "-q", "-", "--no-schema", input="subscription {", env=env())
        invalid = incidents("watch", "--url", url, "-q", "-", "--no-schema", input="subscription { newIncidents(severities: [P9]) { id } }", env=env())
    assert syntax.returncode == 65 and "4500" in syntax.stderr  # graphql-ws closes the socket on a syntax error
    assert invalid.returncode == 65 and "P9" in invalid.stderr  # a validation error is an `error` message


def test_graphql_ws_server_shutdown_is_a_disconnect():
    with peer("graphql_ws_peer.mjs") as (url, proc):
        watch = subprocess.Popen(
            [*INCIDENTS, "watch", "--url", url, "--subscribe", "new", "--max-retries", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT,
        )
        try:
            assert read_line(watch.stdout, 15)
            proc.terminate()  # SIGTERM: the peer closes every client with 1001
            _, stderr = watch.communicate(timeout=seconds(30))
        finally:
            watch.kill()
    assert "1001" in stderr and "reconnecting" in stderr and "gave up" in stderr and watch.returncode == 69


# ---- subscriptions-transport-ws (legacy graphql-ws) ---------------------------------------


def test_legacy_server_is_reached_by_falling_back_from_auto():
    with peer("legacy_peer.cjs") as (url, _proc):
        result = incidents("watch", "--url", url, "--subscribe", "new", "-n", "5", env=env())
    assert result.returncode == 0, result.stderr
    assert len(records(result.stdout)) == 5 and "trying graphql-ws" in result.stderr


def test_legacy_server_with_the_protocol_forced_streams_filters_and_keeps_alive():
    with peer("legacy_peer.cjs") as (url, _proc):
        filtered = incidents(
            "watch", "--url", url, "--protocol", "graphql-ws", "--subscribe", "new", "--severity", "P0", "-n", "4", env=env()
        )
        alive = incidents(
            "watch", "--url", url, "--protocol", "graphql-ws", "--subscribe", "updates", "--for", "2s", "--status-events",
            env=env(),
        )
    assert filtered.returncode == 0, filtered.stderr
    assert [r["severity"] for r in records(filtered.stdout)] == ["P0"] * 4 and filtered.stderr == ""
    assert alive.returncode == 0 and {r["event"] for r in records(alive.stdout) if r["kind"] == "status"} == {"connected", "coverage"}


def test_legacy_server_auth_rejection_is_connection_error():
    with peer("legacy_peer.cjs", token="s3cret") as (url, _proc):
        bad = incidents("watch", "--url", url, "--protocol", "graphql-ws", "-n", "1", env=env(INCIDENTS_TOKEN="nope"))
        good = incidents("watch", "--url", url, "--protocol", "graphql-ws", "--subscribe", "new", "-n", "1", env=env(INCIDENTS_TOKEN="s3cret"))
    assert bad.returncode == 77 and "Forbidden" in bad.stderr
    assert good.returncode == 0, good.stderr


def test_legacy_server_validation_error_is_a_single_error_object():
    with peer("legacy_peer.cjs") as (url, _proc):
        result = incidents(
            "watch", "--url", url, "--protocol", "graphql-ws", "-q", "-", "--no-schema", input="subscription { nope }", env=env()
        )
    assert result.returncode == 65 and "nope" in result.stderr


SEVERITIES = ("P0", "P1", "P2", "P3", "P4")


def true_severity(incident_id):
    """The peers' n-th incident has severity P(n mod 5) and n in the last group of its UUID."""
    return SEVERITIES[int(incident_id.rsplit("-", 1)[-1], 16) % 5]


def http_queries_logged(proc):
    return sum(line.startswith("http query") for line in peer_log(proc))


def test_a_filter_on_a_legacy_server_that_refuses_queries_on_the_socket_is_truthful():
    # Strawberry's legacy dialect: queries are refused on the socket and answered at POST /graphql.
    with peer("legacy_peer.cjs", PEER_SOCKET_QUERIES="refuse") as (url, proc):
        result = incidents("watch", "--url", url, "--severity", "P0,P1", "-n", "30", env=env())
        asked_over_http = http_queries_logged(proc)
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)
    assert len(lines) == 30 and {line["kind"] for line in lines} == {"incident", "state_change"}  # one record per change
    for line in lines:
        assert line["severity"] == true_severity(line["incident_id"]) and line["severity"] in ("P0", "P1"), line
    assert asked_over_http > 0 and "sending them over HTTP" in result.stderr


def test_check_calls_a_subscriptions_only_legacy_server_healthy():
    with peer("legacy_peer.cjs", PEER_SOCKET_QUERIES="refuse") as (url, _proc):
        result = incidents("check", "--url", url, env=env())
    assert result.returncode == 0, result.stderr
    assert "speaks graphql-ws; queries over HTTP" in result.stdout


# ---- filters beyond severity, list and show, against both peers ----------------------------------

TEAMS = ("sre", "payments")
PEERS_AND_MODES = [("graphql_ws_peer.mjs", {}), ("legacy_peer.cjs", {}), ("legacy_peer.cjs", {"PEER_SOCKET_QUERIES": "refuse"})]


def true_team(incident_id):
    """The peers' n-th incident is on team sre or payments by the parity of n."""
    return TEAMS[int(incident_id.rsplit("-", 1)[-1], 16) % 2]


@pytest.mark.parametrize(("script", "extra"), PEERS_AND_MODES)
def test_a_team_filter_holds_on_other_servers_in_every_output(script, extra):
    with peer(script, **extra) as (url, _proc):
        lines = incidents("watch", "--url", url, "--team", "payments", "-n", "12", env=env())
        text = incidents("watch", "--url", url, "--team", "payments", "-n", "6", "-o", "text", env=env())
    assert lines.returncode == 0, lines.stderr
    found = records(lines.stdout)
    assert len(found) == 12 and {line["kind"] for line in found} >= {"incident", "state_change"}
    assert {true_team(line["incident_id"]) for line in found} == {"payments"}
    assert text.returncode == 0, text.stderr
    # "14:02:11 P3 opened  00000000 peer incident 7 (NEW)": the id is shortened, the title has n.
    numbers = [int(m.group(1)) for m in re.finditer(r"peer incident (\d+)", text.stdout)]
    assert numbers and all(TEAMS[n % 2] == "payments" for n in numbers)


@pytest.mark.parametrize(("script", "extra"), PEERS_AND_MODES)
def test_list_and_show_on_other_servers(script, extra):
    with peer(script, **extra) as (url, _proc):
        # The peers list the incidents made so far: let a stream make some first.
        assert incidents("watch", "--url", url, "--subscribe", "new", "-n", "6", env=env()).returncode == 0
        listed = incidents("list", "--url", url, "--team", "sre", env=env())
        table = incidents("list", "--url", url, "-o", "table", "--columns", "sev,id,team", env=env())
        whole = records(listed.stdout)[0]["incident_id"]
        shown = incidents("show", "--url", url, whole[:-1], env=env())  # a unique start of it
        text = incidents("show", "--url", url, whole, "-o", "text", env=env())
        ambiguous = incidents("show", "--url", url, "00000000", env=env())
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout and {true_team(r["incident_id"]) for r in records(listed.stdout)} == {"sre"}
    assert {r["subscription"] for r in records(listed.stdout)} == {"backfill"}
    assert table.returncode == 0 and re.search(r"\d+ incidents: P0 \d+", table.stdout), table.stdout
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == whole
    assert text.returncode == 0 and whole in text.stdout and "description" in text.stdout
    assert ambiguous.returncode == 2 and "give more of the id" in ambiguous.stderr


@pytest.mark.parametrize(("script", "extra"), PEERS_AND_MODES)
def test_a_handover_report_from_other_servers(script, extra):
    with peer(script, **extra) as (url, _proc):
        assert incidents("watch", "--url", url, "--subscribe", "new", "-n", "5", env=env()).returncode == 0
        result = incidents("report", "--url", url, "--since", "1h", "-o", "json", env=env())
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["opened"]) >= 5 and set(summary["open_by_team"]) <= {"sre", "payments"}
