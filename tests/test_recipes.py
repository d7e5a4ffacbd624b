"""The README's recipes, run as written against the demo server."""

import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.helpers import ROOT, seconds
from tests.helpers import demo as demo_thread

README = (ROOT / "README.md").read_text()
BIN = os.path.dirname(sys.executable)  # where the `incidents` console script is installed


def recipe(name):
    match = re.search(rf"```\w*\n# recipe: {name}\n(.*?)```", README, re.S)
    assert match, f"README has no recipe {name}"
    return match.group(1)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A bin directory holding only `incidents`, as pipx or pip --user leave it: the recipes run as
    users run them, with the system's python3, jq and tmux, never the test venv's."""
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "incidents").symlink_to(os.path.join(BIN, "incidents"))
    return f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"


def shell(script, url, path, timeout=60, **extra):
    # A user's shell has no INCIDENTS_* of ours, and no COLUMNS/LINES that a test runner set:
    # those would override the size of a tmux pane.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_") and k not in ("COLUMNS", "LINES")}
    env = {**inherited, "PATH": path, "INCIDENTS_URL": url, **extra}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=seconds(timeout), env=env)


@pytest.fixture(scope="module")
def demo():
    with demo_thread("--rate", "100", "--seed", "3") as url:
        yield url


def test_jq_titles(demo, installed):
    result = shell(recipe("jq-titles"), demo, installed)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) == 3 and all(line[:2] in ("P0", "P1") for line in lines), result.stderr


def test_jq_count(demo, installed):
    result = shell(recipe("jq-count"), demo, installed)
    counts = json.loads(result.stdout)
    assert result.returncode == 0 and {row["kind"] for row in counts} <= {"incident", "update", "state_change"}
    assert sum(row["n"] for row in counts) > 0


def test_cron_with_flock(demo, installed):
    result = shell(recipe("cron"), demo, installed)
    assert result.returncode == 0 and result.stdout in ("", "P0 seen\n"), result.stderr


def test_tmux_layout(demo, tmp_path, installed):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    private = {"TMUX_TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    try:
        result = shell(recipe("tmux"), demo, installed, **private)
        assert result.returncode == 0, result.stderr
        panes = shell("tmux list-panes -t oncall -F '#{pane_index}'", demo, installed, **private).stdout.split()
        assert panes == ["0", "1"]
        deadline = time.monotonic() + seconds(10)
        while time.monotonic() < deadline:
            top = shell("tmux capture-pane -p -t oncall:0.0", demo, installed, **private).stdout
            if "\u25cf live" in top:
                break
            time.sleep(0.1)
        assert "\u25cf live" in top
    finally:
        shell("tmux kill-server", demo, installed, **private)


def test_systemd_unit_runs_and_stops_cleanly(demo, tmp_path):
    unit = recipe("systemd")
    # Installed where the unit says (a user's ~/.local/bin), and run as systemd runs it: no venv on PATH.
    installed = tmp_path / ".local" / "bin" / "incidents"
    installed.parent.mkdir(parents=True)
    installed.symlink_to(os.path.join(BIN, "incidents"))
    if shutil.which("systemd-analyze"):
        (tmp_path / "incidents-p0.service").write_text(unit)
        verified = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "incidents-p0.service")], capture_output=True,
                                  text=True, env={**os.environ, "HOME": str(tmp_path)}, timeout=seconds(30))
        assert verified.returncode == 0, verified.stderr  # e.g. "Command incidents is not executable"
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1).replace("%h", str(tmp_path))
    assert exec_start.startswith("/")  # systemd does not search PATH
    success = set(re.search(r"^SuccessExitStatus=(.*)$", unit, re.M).group(1).split())
    assert set(re.search(r"^RestartPreventExitStatus=(.*)$", unit, re.M).group(1).split()) == {"77", "78"}
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.prod]\nurl = "{demo}"\n')
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")},
           "PATH": "/usr/bin:/bin", "INCIDENTS_CONFIG": str(config)}
    service = subprocess.Popen(exec_start.split(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    recording = tmp_path / "incidents.jsonl"
    try:
        deadline = time.monotonic() + seconds(15)
        while time.monotonic() < deadline and not (recording.exists() and recording.read_text().count("\n") >= 2):
            time.sleep(0.1)
        service.send_signal(signal.SIGTERM)  # what `systemctl stop` does
        status = service.wait(timeout=seconds(10))
    finally:
        service.kill()
        service.stderr.close()
    assert str(status) in success
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    assert any(r["kind"] != "status" and r.get("severity") in ("P0", "P1") for r in records)


def test_webhook_hook(demo, installed):
    bodies = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = shell(recipe("webhook"), demo, installed, WEBHOOK_URL=f"http://127.0.0.1:{server.server_address[1]}/hook")
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert len(bodies) == 2 and all(body["v"] == 1 and body["severity"] in ("P0", "P1") for body in bodies)
