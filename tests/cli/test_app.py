"""End-to-end: the real CLI, as a subprocess and in-process, against the real demo server."""

import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from incident_cli.cli.app import app
from tests.helpers import INCIDENTS, demo, incidents, seconds

FAST_DEMO = ("--rate", "100", "--heartbeat", "0.2")


def env(**extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_") or k == "INCIDENTS_TEST_TIMEOUT_SCALE"}
    return {**base, **extra}


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def assert_one_line_error(result, status, *fragments):
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("incidents: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version_and_help():
    assert incidents("--version").stdout.strip().startswith("incidents ")
    result = incidents("watch", "--help")
    assert result.returncode == 0 and "--severity" in result.stdout


def test_severity_filter_over_a_real_connection_all_lines_match():
    with demo(*FAST_DEMO) as url:
        result = incidents("watch", "--url", url, "--severity", "p0,P1", "--count", "20", env=env())
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)
    assert len(lines) == 20
    assert {line["severity"] for line in lines} <= {"P0", "P1"}
    assert {line["kind"] for line in lines} <= {"incident", "update", "state_change"}
    assert all(line["v"] == 1 and line["data"] for line in lines)


def test_watch_demo_runs_in_process_server():
    result = incidents("watch", "--demo", "--count", "3", env=env())
    assert result.returncode == 0, result.stderr
    assert len(records(result.stdout)) == 3 and result.stderr == ""


def test_token_from_environment_and_file_and_a_wrong_one(tmp_path):
    with demo(*FAST_DEMO, "--token", "s3cret") as url:
        good = incidents("watch", "--url", url, "--count", "5", env=env(INCIDENTS_TOKEN="s3cret"))
        assert good.returncode == 0 and len(records(good.stdout)) == 5, good.stderr
        token_file = tmp_path / "token"
        token_file.write_text("s3cret\n")
        token_file.chmod(0o644)
        shared = incidents("watch", "--url", url, "--count", "1", "--token-file", str(token_file), env=env())
        assert_one_line_error(shared, 78, "can be read by other users", "chmod 600")
        token_file.chmod(0o600)
        from_file = incidents("watch", "--url", url, "--count", "1", "--token-file", str(token_file), env=env())
        assert from_file.returncode == 0, from_file.stderr
        bad = incidents("watch", "--url", url, "--count", "5", env=env(INCIDENTS_TOKEN="wrong-token"))
        assert_one_line_error(bad, 77, "rejected the credentials", "4403")
        assert "wrong-token" not in bad.stderr and bad.stdout == ""
        missing = incidents("watch", "--url", url, "--count", "5", env=env())
        assert_one_line_error(missing, 77)


def test_legacy_dialect_end_to_end():
    with demo(*FAST_DEMO, "--protocol", "graphql-ws") as url:
        result = incidents("watch", "--url", url, "--count", "4", "--subscribe", "updates", env=env())
    assert result.returncode == 0, result.stderr
    assert [line["kind"] for line in records(result.stdout)] == ["update"] * 4


def test_custom_query_from_file_and_stdin_with_variables(tmp_path):
    document = "subscription S($s: [Severity!]) { newIncidents(severities: $s) { id severity title } }"
    path = tmp_path / "q.graphql"
    path.write_text(document)
    with demo(*FAST_DEMO) as url:
        from_file = incidents("watch", "--url", url, "-q", str(path), "--var", 's:=["P3"]', "-n", "3", env=env())
        from_stdin = incidents(
            "watch", "--url", url, "--query", "-", "--variables", '{"s": ["P2"]}', "-n", "2", env=env(), input=document
        )
    assert from_file.returncode == 0, from_file.stderr
    assert [line["severity"] for line in records(from_file.stdout)] == ["P3"] * 3
    assert [line["data"]["severity"] for line in records(from_stdin.stdout)] == ["P2"] * 2


def test_query_document_prints_one_result_and_exits_zero():
    with demo() as url:
        result = incidents(
            "watch", "--url", url, "-q", "-", env=env(), input="query { activeIncidents { pageInfo { totalCount } } }"
        )
    assert result.returncode == 0, result.stderr
    (line,) = records(result.stdout)
    assert line["kind"] == "data" and line["data"]["activeIncidents"]["pageInfo"]["totalCount"] == 6


def test_server_error_for_the_operation_exits_65_with_the_graphql_message():
    with demo() as url:
        result = incidents("watch", "--url", url, "-q", "-", env=env(), input="subscription { newIncidents(severities: [P7]) { id } }")
    assert result.returncode == 65
    assert "P7" in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_syntax_error_is_caught_before_sending_or_closes_4500_without_the_check():
    with demo() as url:
        checked = incidents("watch", "--url", url, "-q", "-", env=env(), input="subscription {")
        unchecked = incidents("watch", "--url", url, "-q", "-", "--no-schema", env=env(), input="subscription {")
    assert_one_line_error(checked, 65, "not valid GraphQL", "Syntax Error")
    assert_one_line_error(unchecked, 65, "4500", "Syntax Error")


def test_a_server_that_keeps_sending_malformed_frames_is_a_protocol_error_and_keeps_what_came_before():
    with demo(*FAST_DEMO, "--fault", "garbage_after=3") as url:
        # a custom document: no list query or lookups, so the server's count is all data
        document = "subscription { newIncidents { id severity } }"
        result = incidents("watch", "--url", url, "-q", "-", "--no-schema", env=env(), input=document)
    assert result.returncode == 76, result.stderr
    last = result.stderr.splitlines()[-1]
    assert "error: the server keeps breaking the protocol (3 connections in a row)" in last and "4400" in last
    assert len(records(result.stdout)) == 9  # three per connection: nothing already received is lost


def test_one_malformed_frame_does_not_end_the_tail():
    with demo(*FAST_DEMO, "--fault", "garbage_after=3", "--fault", "connections=1") as url:
        document = "subscription { newIncidents { id severity } }"
        result = incidents("watch", "--url", url, "-q", "-", "--no-schema", "-n", "8", env=env(), input=document)
    assert result.returncode == 0, result.stderr
    assert len(records(result.stdout)) == 8
    assert "invalid message (message is not valid JSON: 'this is not JSON {' (18 bytes)); closed with 4400" in result.stderr


def test_bounded_by_duration():
    with demo(*FAST_DEMO) as url:
        result = incidents("watch", "--url", url, "--for", "1s", env=env())
    assert result.returncode == 0 and len(records(result.stdout)) > 0, result.stderr


def test_head_ends_quietly_with_status_zero():
    with demo(*FAST_DEMO) as url:
        pipeline = subprocess.run(
            ["bash", "-c", 'set -o pipefail; "$@" | head -n 1; echo "status=${PIPESTATUS[0]}" >&2', "_", *INCIDENTS,
             "watch", "--url", url],
            capture_output=True,
            text=True,
            timeout=seconds(30),
            env=env(),
        )
    assert len(records(pipeline.stdout)) == 1
    assert pipeline.stderr.strip() == "status=0"


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (["--severity", "P0,SEV9"], 2, "choose from P0, P1, P2, P3, P4"),
        (["--subscribe", "everything"], 2, "unknown stream"),
        (["--for", "soon"], 2, "not a duration"),
        (["--url", "ftp://x/y"], 2, "ws:// or wss://"),
        (["--var", "a=1"], 2, "go with --query"),
        (["--query", "/nonexistent/q.graphql"], 2, "does not exist"),
        (["--query", "-", "--variables", "[1]"], 2, "JSON object"),
        (["--token-file", "/nonexistent/token"], 78, "does not exist"),
    ],
)
def test_bad_input_gets_one_line_and_the_right_status(args, status, fragment):
    result = incidents("watch", *args, env=env(), input="")
    assert_one_line_error(result, status, fragment)


def test_malformed_token_is_refused_without_echo():
    result = incidents("watch", "--count", "1", env=env(INCIDENTS_TOKEN="abc def\x01"))
    assert_one_line_error(result, 78, "INCIDENTS_TOKEN")
    assert "abc def" not in result.stderr


def test_unreachable_server_gives_up_after_max_retries():
    result = incidents("watch", "--url", "ws://127.0.0.1:9/graphql/ws", "--max-retries", "0", env=env())
    assert result.returncode == 69
    assert "gave up after 1 connection attempt: " in result.stderr and "Traceback" not in result.stderr


def test_typer_usage_errors_exit_2():
    result = incidents("watch", "--count", "0", env=env())
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_in_process_watch_demo(monkeypatch):
    for name in [n for n in os.environ if n.startswith("INCIDENTS_")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(app, ["watch", "--demo", "--count", "2", "--subscribe", "updates"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == ["update", "update"]


def test_demo_rejects_unknown_fault():
    result = incidents("demo", "--port", "0", "--fault", "explode=1", env=env())
    assert_one_line_error(result, 2, "unknown fault")


def test_python_dash_m_entry_point_matches_console_script():
    result = subprocess.run([sys.executable, "-m", "incident_cli", "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("incidents ")


def test_text_output_is_plain_when_piped_and_coloured_when_forced():
    with demo(*FAST_DEMO, "--hostile-titles") as url:
        plain = incidents("watch", "--url", url, "-o", "text", "-n", "6", env=env())
        coloured = incidents("watch", "--url", url, "-o", "text", "-n", "6", "--color", "always", env=env())
    assert plain.returncode == 0 and coloured.returncode == 0, plain.stderr + coloured.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == 6 and "\x1b" not in plain.stdout
    assert all(line.split()[1] in ("P0", "P1", "P2", "P3", "P4") for line in lines)
    assert "\x1b[" in coloured.stdout and "\x1b]" not in coloured.stdout


def test_backfill_in_json_lines_when_asked():
    with demo("--rate", "0") as url:
        result = incidents("watch", "--url", url, "--backfill", "--for", "0.5s", "--subscribe", "new", env=env())
    assert result.returncode == 0, result.stderr
    lines = records(result.stdout)
    assert len(lines) == 6 and {line["subscription"] for line in lines} == {"backfill"}  # the 6 seeded incidents
    assert {line["kind"] for line in lines} == {"incident"}


def test_bad_keep_resolved_is_a_usage_error():
    assert_one_line_error(incidents("watch", "--keep-resolved", "forever", env=env()), 2, "--keep-resolved")


@pytest.mark.parametrize("mode", ["jsonl", "text", "table"])
def test_a_full_disk_under_stdout_is_an_output_error_in_one_line(mode):
    with demo(*FAST_DEMO) as url, open("/dev/full", "w") as full:
        result = subprocess.run([*INCIDENTS, "watch", "--url", url, "-o", mode, "--count", "20"], stdout=full,
                                stderr=subprocess.PIPE, text=True, env=env(), timeout=seconds(30))
    assert result.returncode == 74, result.stderr
    assert result.stderr == "incidents: error: cannot write the output: No space left on device\n"


def test_a_stderr_that_is_gone_does_not_change_the_outcome():
    with open("/dev/full", "w") as full:
        result = subprocess.run([*INCIDENTS, "watch", "--url", "ws://127.0.0.1:9/graphql/ws", "--for", "1s"],
                                stdout=subprocess.PIPE, stderr=full, env=env(), timeout=seconds(30))
    assert result.returncode == 69 and result.stdout == b""  # its reconnect lines and error went nowhere, quietly


def test_severity_filter_and_check_on_a_demo_that_refuses_queries_on_the_socket():
    from incident_cli.driver.http import post_json

    knob = ("--protocol", "graphql-ws", "--http", "--no-socket-queries", *FAST_DEMO)
    with demo(*knob) as url:
        watched = incidents("watch", "--url", url, "--severity", "P0,P1", "-n", "25", env=env())
        checked = incidents("check", "--url", url, env=env())
        truth = {}
        for line in records(watched.stdout):
            answer = post_json(url.replace("ws://", "http://").removesuffix("/ws"),
                               {"query": "query($id: UUID!) { incident(id: $id) { severity } }",
                                "variables": {"id": line["incident_id"]}})
            truth[line["incident_id"]] = answer.body["data"]["incident"]["severity"]
    assert watched.returncode == 0, watched.stderr
    lines = records(watched.stdout)
    assert len(lines) == 25 and all(line["severity"] == truth[line["incident_id"]] for line in lines)
    assert {line["severity"] for line in lines} <= {"P0", "P1"}
    assert checked.returncode == 0 and "speaks graphql-ws; queries over HTTP" in checked.stdout


def test_the_table_into_a_reader_that_goes_away_stops_quietly():
    with demo(*FAST_DEMO) as url:
        result = subprocess.run(f"set -o pipefail; {' '.join(INCIDENTS)} watch --url {url} -o table --count 50 | head -c 10 >/dev/null",
                                shell=True, env=env(), timeout=seconds(30), capture_output=True, text=True,
                                executable="/bin/bash")
    assert result.returncode == 0 and result.stderr == ""


def test_a_profiles_table_output_never_reaches_a_pipe_and_its_connection_settings_are_shown(tmp_path):
    config = tmp_path / "config.toml"
    with demo("--rate", "0") as url:
        config.write_text(
            f'[profiles.prod]\nurl = "{url}"\noutput = "table"\nseverity = "P0,P1"\nping_interval = "5s"\n'
            'ping_timeout = 2\nmax_message_size = "1MiB"\nconnect_timeout = "3s"\n'
        )
        environ = env(INCIDENTS_CONFIG=str(config))
        once = incidents("watch", "--profile", "prod", "--once", env=environ)  # stdout is not a terminal
        shown = incidents("config", "show", "--profile", "prod", env=environ)
        typed = json.loads(incidents("config", "show", "--profile", "prod", "--json", env=environ).stdout)
    assert once.returncode == 0, once.stderr
    # --json: values as JSON has them, not "False" and "10.0"
    assert typed["ping_interval"] == {"value": 5.0, "from": "profile prod"} and typed["max_message_size"]["value"] == 1048576
    assert typed["proxy"]["value"] is True and typed["label_columns"]["value"] == [] and typed["team"]["value"] is None
    records = [json.loads(line) for line in once.stdout.splitlines()]  # JSON lines, not table frames
    assert records and {r["severity"] for r in records} <= {"P0", "P1"}  # the profile's severity did apply
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[2:]}
    assert rows["ping_interval"][1:] == ["5.0", "profile", "prod"] and rows["ping_timeout"][1] == "2.0"
    assert rows["max_message_size"][1] == "1048576" and rows["connect_timeout"][1:] == ["3.0", "profile", "prod"]
    assert rows["output"][1:] == ["table", "profile", "prod"] and rows["severity"][1] == "P0,P1"


def test_profile_connection_settings_reach_the_connection_and_flags_still_win(tmp_path):
    from incident_cli.cli.settings import load_settings
    from incident_cli.driver.options import SessionConfig

    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\nping_interval = 3\nping_timeout = "1500ms"\nmax_message_size = 65536\n')
    settings = load_settings(environ={"INCIDENTS_CONFIG": str(config)}, flags={"profile": "p", "ping_timeout": "2s"})
    session = SessionConfig.from_settings(settings)
    assert (session.ping_interval, session.ping_timeout, session.max_size) == (3.0, 2.0, 65536)
    assert settings.origins["ping_timeout"] == "--ping-timeout" and settings.origins["ping_interval"] == "profile p"
    config.write_text('[profiles.p]\nping_interval = "soon"\n')
    with pytest.raises(Exception, match=r"config.toml: profile p.ping_interval: 'soon' is not a duration"):
        load_settings(environ={"INCIDENTS_CONFIG": str(config)}, flags={"profile": "p"})


def test_with_nothing_configured_a_refused_default_says_how_to_name_a_server_and_exits_69(tmp_path):
    import socket

    from incident_cli.settings import DEFAULT_URL

    probe = socket.socket()
    try:
        if probe.connect_ex(("127.0.0.1", 8080)) == 0:
            pytest.skip("something listens on the default port here")
    finally:
        probe.close()
    environ = {"PATH": "/usr/bin:/bin", "INCIDENTS_CONFIG": str(tmp_path / "none.toml")}
    result = incidents("watch", env=environ, timeout=20)
    assert result.returncode == 69 and result.stdout == ""
    (line,) = result.stderr.splitlines()  # one line, no retries before it
    assert f"none answers at the default {DEFAULT_URL}" in line and "--url or INCIDENTS_URL" in line and "--demo" in line
    named = incidents("watch", "--url", DEFAULT_URL, "--for", "1s", env=environ, timeout=20)
    assert named.returncode == 69 and "reconnecting" in named.stderr  # a server someone named is retried


def test_one_error_style_a_bad_option_is_one_line_naming_the_help_and_exit_2():
    result = incidents("watch", "--nope")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("incidents: usage error: No such option: --nope") and line.endswith("see incidents watch --help")
    assert "\u256d" not in result.stderr  # no box
    missing = incidents("show")
    assert missing.returncode == 2 and missing.stderr.splitlines() == [
        "incidents: usage error: Missing argument 'incident_id'; see incidents show --help"]


def test_help_groups_the_options_shows_environment_variables_and_ends_with_examples_and_statuses():
    result = incidents("watch", "--help", env={**os.environ, "COLUMNS": "120"})
    assert result.returncode == 0
    for panel in ("Connection", "Credentials", "What to watch", "Filters", "Bounded runs", "Output", "Table and console",
                  "Keepalive and retries", "Hooks and recording"):
        assert f"\u2500 {panel}" in result.stdout, panel
    words = re.sub(r"[\u2502\s]+", " ", result.stdout)  # the help as words, whatever the wrapping
    assert "[env: INCIDENTS_URL]" in words and "[default: 15s]" in words
    assert "$ incidents watch --severity P0,P1" in words and "69 unreachable" in words
    assert "--refresh " not in result.stdout and "--fps" in result.stdout  # the old name works, unshown


def test_every_command_ends_its_help_with_examples_and_the_exit_statuses():
    for command in ("watch", "list", "show", "report", "check", "schema", "replay", "demo", "token",
                    "config set", "config get", "config unset", "config use", "config profiles", "config init"):
        words = re.sub(r"\s+", " ", incidents(*command.split(), "--help").stdout)
        assert f"$ incidents {command}" in words and "Exit statuses: 0 done" in words, command


def test_the_old_name_of_fps_still_works_and_demo_has_no_p():
    with demo("--rate", "20") as url:
        old = incidents("watch", "-u", url, "-o", "table", "--refresh", "2", "--for", "1s")
    assert old.returncode == 0, old.stderr
    assert incidents("demo", "-p", "0").returncode == 2  # -p is --profile wherever it exists


def test_every_duration_option_takes_the_same_forms():
    with demo("--rate", "50", "--heartbeat", "200ms", "--token-lifetime", "5m") as url:
        checked = incidents("check", "--url", url, "--timeout", "2s")
        watched = incidents("watch", "--url", url, "--ack-timeout", "1500ms", "--connect-timeout", "2s", "--for", "500ms",
                            "--status-events", "--subscribe", "updates")
    assert checked.returncode == 0, checked.stderr
    assert watched.returncode == 0, watched.stderr
    beats = [json.loads(line) for line in watched.stdout.splitlines() if '"heartbeat"' in line]
    assert len(beats) >= 1  # 200 ms apart, in a 500 ms run
    bad = incidents("check", "--url", url, "--timeout", "soon")
    assert bad.returncode == 2 and "--timeout" in bad.stderr


def test_a_run_builds_only_the_command_it_names_and_the_whole_app_otherwise():
    from incident_cli.cli.app import _only, app
    from tests.helpers import memory_env

    env = memory_env({})
    assert [c.callback.__name__ for c in _only(["watch", "-n", "1"], env).registered_commands] == ["watch"]
    assert [c.name for c in _only(["list"], env).registered_commands] == ["list"]
    config = _only(["config", "get", "url"], env)
    assert [g.name for g in config.registered_groups] == ["config"] and config.registered_commands == []
    for whole in (["--help"], ["wtach"], [], ["--version"]):
        assert _only(whole, env) is app  # help lists every command; a typo is answered with suggestions
    assert _only(["watch"], memory_env({"_INCIDENTS_COMPLETE": "complete_bash"})) is app  # completion sees all
    assert app.registered_commands and len(app.registered_commands) > 5  # the app itself is untouched


def test_with_one_command_built_errors_and_help_still_name_the_whole_path():
    typo = incidents("wtach")
    assert typo.returncode == 2 and "Did you mean 'watch'" in typo.stderr
    bad = incidents("watch", "--no-such-option")
    assert bad.returncode == 2 and "see incidents watch --help" in bad.stderr
    helped = incidents("config", "set", "--help")
    assert helped.returncode == 0 and "incidents config set" in helped.stdout


def test_demo_print_token_prints_a_token_that_the_demo_accepts_and_exits():
    import jwt

    minted = incidents("demo", "--jwt-secret", "s3cret", "--print-token", "--port", "0", env=env(), timeout=20)
    assert minted.returncode == 0 and minted.stderr == ""  # no server: nothing said of one
    token = minted.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["sub"]
    with demo("--jwt-secret", "s3cret", "--rate", "50") as url:
        watched = incidents("watch", "--url", url, "-n", "1", env=env(INCIDENTS_TOKEN=token))
    assert watched.returncode == 0, watched.stderr


def test_a_query_document_on_a_server_that_refuses_queries_on_the_socket_is_sent_over_http():
    knob = ("--protocol", "graphql-ws", "--http", "--no-socket-queries", "--rate", "0")
    query = "{ incidents { incidents { id } pageInfo { totalCount } } }"
    with demo(*knob) as url:
        result = incidents("watch", "--url", url, "-q", "-", input=query, env=env())
    assert result.returncode == 0, result.stderr
    (line,) = records(result.stdout)
    assert line["kind"] == "data" and line["data"]["incidents"]["pageInfo"]["totalCount"] == 6
    assert "sending them over HTTP" in result.stderr
