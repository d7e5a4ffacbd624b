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
