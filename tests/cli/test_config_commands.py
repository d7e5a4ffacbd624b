"""config set/get/unset/use/profiles/init, as a user runs them; the profile then drives watch."""

import json
import os

from tests.helpers import demo, incidents


def test_a_profile_made_with_commands_drives_watch(tmp_path):
    environ = {**os.environ, "INCIDENTS_CONFIG": str(tmp_path / "config.toml")}
    environ.pop("INCIDENTS_URL", None)
    with demo("--rate", "40") as url:
        made = incidents("config", "init", "--profile", "demo", "--url", url, "--token-file", "", env=environ)
        steps = [incidents("config", *args, env=environ) for args in (
            ("set", "severity", "P0,P1"), ("set", "ping_interval", "5s"), ("set", "team", "sre"), ("unset", "team"))]
        got = incidents("config", "get", "ping_interval", env=environ)
        listed = incidents("config", "profiles", env=environ)
        watched = incidents("watch", "-n", "5", env=environ)  # the default profile, made above
    assert made.returncode == 0 and all(step.returncode == 0 for step in steps), [s.stderr for s in steps]
    assert got.stdout == "5.0\n" and listed.stdout == "* demo\n"
    assert watched.returncode == 0, watched.stderr
    assert {json.loads(line)["severity"] for line in watched.stdout.splitlines()} <= {"P0", "P1"}


def test_init_without_a_terminal_needs_its_url_and_bad_input_is_one_line(tmp_path):
    environ = {**os.environ, "INCIDENTS_CONFIG": str(tmp_path / "config.toml")}
    result = incidents("config", "init", env=environ)
    assert result.returncode == 2 and "needs --url when stdin is not a terminal" in result.stderr
    secret = incidents("config", "set", "token", "hunter2", env=environ)
    assert secret.returncode == 2 and "hunter2" not in secret.stderr and len(secret.stderr.splitlines()) == 1
    assert not (tmp_path / "config.toml").exists()


def test_config_set_checks_every_value_as_watch_reads_it_and_writes_nothing_bad(tmp_path):
    path = tmp_path / "config.toml"
    environ = {**os.environ, "INCIDENTS_CONFIG": str(path)}
    assert incidents("config", "set", "url", "ws://127.0.0.1:9/graphql/ws", env=environ).returncode == 0
    before = path.read_text()
    for key, value, said in (("severity", "P7", "invalid severity 'P7'"), ("state", "NOPE", "no state 'NOPE'"),
                             ("columns", "sev,nope", "unknown column 'nope'"), ("labels", "team", "KEY=VALUE"),
                             ("team", "!", "needs a team after it"), ("ping_interval", "soon", "ping_interval")):
        result = incidents("config", "set", key, value, env=environ)
        assert result.returncode == 2 and said in result.stderr, (key, result.stderr)
        assert f"profile default.{key}" in result.stderr and str(path) in result.stderr
        assert path.read_text() == before  # a bad value never lands
    assert incidents("config", "set", "labels", "team!=sre,region=eu", env=environ).returncode == 0


def test_a_bad_value_in_a_profile_is_78_naming_the_file_the_profile_and_the_key_not_a_flag(tmp_path):
    path = tmp_path / "config.toml"
    environ = {**os.environ, "INCIDENTS_CONFIG": str(path)}
    environ.pop("INCIDENTS_URL", None)
    for key, value in (("columns", "sev,nope"), ("severity", "P7"), ("state", "NOPE")):
        path.write_text(f'[profiles.default]\nurl = "ws://127.0.0.1:9/graphql/ws"\n{key} = "{value}"\n')
        for command in (("watch", "--once"), ("list",)):
            result = incidents(*command, env=environ)
            assert result.returncode == 78, result.stderr
            assert f"{path}: profile default.{key}" in result.stderr and "--" + key not in result.stderr


def test_a_hostile_config_is_shown_never_obeyed_and_a_profile_name_on_two_lines_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    environ = {**os.environ, "INCIDENTS_CONFIG": str(path)}
    environ.pop("INCIDENTS_PROFILE", None)
    path.write_text('default_profile = "x\\u001b]0;pwn\\u0007"\n[profiles."x\\u001b]0;pwn\\u0007"]\n'
                    'url = "ws://127.0.0.1:9/graphql/ws"\ngrep = "db\\u001b[2J"\n')
    for command in (("config", "get", "grep"), ("config", "show"), ("config", "profiles")):
        result = incidents(*command, env=environ)
        assert result.returncode == 0, (command, result.stderr)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, command
    refused = incidents("config", "set", "team", "sre", "--profile", "two\nlines", env=environ)
    assert refused.returncode == 2 and "printable text on one line" in refused.stderr
