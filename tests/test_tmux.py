"""The table in a real terminal: tmux runs the CLI, capture-pane reads the screen."""

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from incident_cli.demo.simulator import PEOPLE
from tests.helpers import INCIDENTS, demo, seconds

TEAMS = ("sre", "payments", "platform")  # the demo's

if shutil.which("tmux") is None:
    if os.environ.get("CI"):
        raise RuntimeError("tmux is required in CI (.ci/run installs it)")
    pytest.skip("tmux is not installed", allow_module_level=True)


class Tmux:
    def __init__(self, width=140, height=30):
        self.socket = f"incidents-test-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height

    def __call__(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=check)

    def start(self, argv, env=None):
        # COLUMNS/LINES from the test runner would override the pane's real size.
        environment = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = f"env -u COLUMNS -u LINES {environment} {shlex.join(argv)}"
        self("new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height), "sh", "-c", command)
        self("set-option", "-t", "t", "remain-on-exit", "on")

    def start_reporting(self, argv, env=None):
        """As start, with the shell printing ``exit=N`` after it and keeping the pane open to be read:
        tmux may see the pane's pty close well before it reaps the shell (a dead pane with no status
        yet, for seconds under load), and a dead pane's screen is not always kept."""
        self.start(["sh", "-c", f"{shlex.join(argv)}; echo exit=$?; sleep 60"], env=env)

    def screen(self):
        return self("capture-pane", "-p", "-t", "t").stdout

    def wait_for(self, predicate, timeout, what="the expected screen"):
        """Poll the screen until ``predicate(screen)`` holds; fail saying what and with the last screen."""
        deadline = time.monotonic() + seconds(timeout)
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"the screen never showed {what} within {timeout} s; last screen:\n{screen}")

    def close(self):
        self("kill-server", check=False)


@pytest.fixture
def tmux():
    session = Tmux()
    yield session
    session.close()


def rows(screen):
    """The incident rows on the screen (the console pads its cells by a space)."""
    return [line for line in screen.splitlines() if line.lstrip(" ")[:2] in ("P0", "P1", "P2", "P3", "P4")]


def events_count(screen):
    for token in screen.split("  "):
        if token.strip().endswith(" events"):
            return int(token.split()[0].replace(",", ""))
    return -1


ENV = {"PATH": os.environ["PATH"], "TERM": "xterm-256color", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}


def without_age(screen):
    """The rows with the AGE column blanked: the one cell that moves while the console is paused."""
    header = next(line for line in screen.splitlines() if " AGE" in line and "SEV" in line)
    start, end = header.index(" AGE") - 3, header.index(" AGE") + len(" AGE")
    return [line[:start] + line[end:] for line in rows(screen)]


def status_lines(screen):
    return [line for line in screen.splitlines() if "\u25cf live" in line or "\u25cc " in line]


def dead_status(tmux):
    return tmux("display-message", "-p", "-t", "t", "#{pane_dead}:#{pane_dead_status}").stdout.strip()


def test_the_console_in_a_real_terminal(tmux):
    tmux.width, tmux.height = 140, 35
    tmux.start_reporting([*INCIDENTS, "watch", "--demo"], env=ENV)
    first = tmux.wait_for(lambda s: "\u25cf live" in s and len(rows(s)) >= 3 and "q quit" in s, timeout=5,
                          what="three rows, live, and the keys")
    assert "OWNER" in first and "TEAM" in first and "q quit" in first  # the keys, in the footer
    assert all(any(team in line for team in TEAMS) for line in rows(first))  # every demo incident has a team
    tmux.wait_for(lambda s: any(person in line for line in rows(s) for person in PEOPLE), timeout=30, what="an owner")
    # p: the frame holds while the stream is still read; the status line counts what waits
    tmux("send-keys", "-t", "t", "p")
    held = tmux.wait_for(lambda s: "PAUSED: " in s, timeout=5, what="PAUSED")
    waiting = tmux.wait_for(lambda s: waiting_count(s) > waiting_count(held), timeout=20, what="more changes waiting")
    assert without_age(waiting) == without_age(held)  # only AGE moves while paused
    tmux("send-keys", "-t", "t", "p")
    tmux.wait_for(lambda s: "PAUSED" not in s, timeout=5, what="PAUSED gone")
    # /payments narrows the rows, typed at once as a paste would be
    every = len(rows(tmux.screen()))
    tmux("send-keys", "-t", "t", "/payments", "Enter")
    narrowed = tmux.wait_for(lambda s: "filter: payments" in s, timeout=5, what="the filter")
    assert 0 < len(rows(narrowed)) < every  # the demo's payments team, and resources named payments
    # Enter: the incident in full, with its description; Esc back
    tmux("send-keys", "-t", "t", "Enter")
    detail = tmux.wait_for(lambda s: "description" in s and "updates seen" in s, timeout=5, what="the detail view")
    assert "Detected by automated monitoring." in detail  # the demo's descriptions say so
    tmux("send-keys", "-t", "t", "Escape")
    tmux.wait_for(lambda s: "SEV" in s and "OWNER" in s, timeout=5, what="the rows again")
    # a pane that shrinks and grows again holds exactly one status line
    tmux("resize-window", "-t", "t", "-x", "80", "-y", "20")
    narrow = tmux.wait_for(lambda s: "SEV" in s and "TYPE" not in s, timeout=5, what="the narrow columns")
    assert len(status_lines(narrow)) == 1 and all(len(line) <= 80 for line in narrow.splitlines())
    tmux("resize-window", "-t", "t", "-x", "140", "-y", "35")
    wide = tmux.wait_for(lambda s: "TYPE" in s, timeout=5, what="the wide columns")
    assert len(status_lines(wide)) == 1
    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for(lambda s: "exit=0" in s, timeout=10, what="exit status 0 after q")


def waiting_count(screen):
    for line in screen.splitlines():
        if "PAUSED: " in line:
            return int(line.split("PAUSED: ")[1].split()[0].replace(",", ""))
    return -1


def test_the_live_table_without_keys_fills_within_three_seconds_and_updates(tmux):
    env = ENV
    tmux.start([*INCIDENTS, "watch", "--demo", "--severity", "P0,P1", "--no-input"], env=env)
    first = tmux.wait_for(lambda s: "\u25cf live" in s and rows(s), timeout=3)
    assert "SEV" in first and "TITLE" in first and "STATE" in first
    assert all(line.lstrip()[:2] in ("P0", "P1") for line in rows(first))
    assert "OWNER" in first and "TEAM" in first and "TYPE" in first  # 140 columns: all but RESOURCES
    assert any(team in line for line in rows(first) for team in TEAMS)  # the demo labels every incident's team
    count = events_count(first)
    later = tmux.wait_for(lambda s: events_count(s) > count, timeout=20)  # the simulator moves on
    assert rows(later)
    # an ASSIGNED update names nobody: the table re-reads the incident and shows its owner
    tmux.wait_for(lambda s: any(person in line for line in rows(s) for person in PEOPLE), timeout=30)
    tmux("resize-window", "-t", "t", "-x", "80", "-y", "12")
    narrow = tmux.wait_for(lambda s: "SEV" in s and "TYPE" not in s and "STATE" in s and "AGE" in s, timeout=5)
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert len(narrow.splitlines()) <= 12


@pytest.mark.parametrize("view", [(), ("--no-input",)], ids=["console", "live-table"])
def test_hostile_titles_are_shown_literally_and_leave_the_terminal_unharmed(tmux, view):
    with demo("--hostile-titles", "--rate", "50") as url:
        tmux.start([*INCIDENTS, "watch", "--url", url, *view], env={"PATH": os.environ["PATH"], "TERM": "xterm-256color"})
        # Rows come as the demo opens its incidents: wait for the three hostile titles to be on screen.
        screen = tmux.wait_for(lambda s: "[bold red]markup[/]" in s and "^[]0;pwned title^G" in s
                               and "[link=https://evil.example]" in s, timeout=15, what="the hostile titles, literally")
        assert "pwned" not in tmux("display-message", "-p", "-t", "t", "#{pane_title}").stdout
        assert tmux("show-buffer", check=False).returncode != 0  # no OSC 52 clipboard write
        assert "\u25cf live" in screen  # still drawing: nothing crashed the view


@pytest.mark.parametrize(("shell", "status", "said"), [
    ("forward", 129, ""),  # a shell passes the hang-up on: SIGHUP, closed cleanly
    ("ignore", 74, "incidents: error: cannot draw the table any more: the terminal hung up\n"),  # no signal reaches us
    ("forward-tty", 129, None),  # the console (stderr is the terminal too): the same statuses...
    ("ignore-tty", 74, None),  # ...and never an orphan drawing into the void
])
def test_closing_the_pane_ends_the_table_with_the_right_status_not_an_internal_error(tmux, tmp_path, shell, status, said):
    env = {"PATH": os.environ["PATH"], "TERM": "xterm-256color", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    status_file = tmp_path / "status"
    pane_shell = str(Path(__file__).with_name("pane_shell.py"))
    tmux.start([sys.executable, pane_shell, shell, str(status_file), *INCIDENTS, "watch", "--demo"], env=env)
    tmux.wait_for(lambda s: "\u25cf live" in s and rows(s), timeout=5)
    tmux.close()  # the pane, its window and its terminal are gone
    deadline = time.monotonic() + seconds(10)
    while not status_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status_file.read_text() == str(status)
    if said is not None:
        assert (tmp_path / "status.err").read_text() == said


def test_a_replay_in_the_console_says_so_pauses_and_seeks(tmux, tmp_path):
    recording = tmp_path / "night.jsonl"
    with demo("--rate", "40") as url:
        subprocess.run([*INCIDENTS, "watch", "-u", url, "--for", "3s", "--record", str(recording)], capture_output=True,
                       timeout=seconds(30), check=True, env={**os.environ, "PYTHONPATH": ENV["PYTHONPATH"]})
    tmux.start_reporting([*INCIDENTS, "replay", str(recording), "--speed", "0.5"], env=ENV)
    first = tmux.wait_for(lambda s: "replay of night.jsonl" in s and rows(s) and "-10s" in s, timeout=10,
                          what="the replay and its keys")
    assert "\u25cf live" not in first and "-10s" in first  # never "live"; the arrows are offered
    tmux("send-keys", "-t", "t", "p")
    paused = tmux.wait_for(lambda s: "PAUSED (p plays" in s, timeout=5, what="the replay paused")
    tmux("send-keys", "-t", "t", "Right")
    tmux.wait_for(lambda s: "end of the recording" in s or events_count(s) > events_count(paused), timeout=5,
                  what="ten seconds later (the 3 s recording's end)")
    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for(lambda s: "exit=0" in s, timeout=10, what="exit status 0 after q")


def test_a_long_list_goes_through_the_pager_and_q_leaves_it(tmux):
    tmux.width, tmux.height = 120, 8
    tmux.start_reporting([*INCIDENTS, "list", "--demo"], env={**ENV, "PAGER": "less"})
    paged = tmux.wait_for(lambda s: len(rows(s)) >= 5, timeout=15, what="the first page of the list")
    assert "incidents:" not in paged  # the summary is below, on the last page
    tmux("send-keys", "-t", "t", "G")  # less: to the end
    tmux.wait_for(lambda s: "incidents: P0" in s, timeout=5, what="the summary at the end")
    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for(lambda s: "exit=0" in s, timeout=10, what="exit status 0 after q")


def test_the_quick_start_leaves_its_last_frame_and_one_line_on_the_normal_screen(tmux):
    # The README's first command, as a new user types it on a terminal.
    tmux.start_reporting([*INCIDENTS, "watch", "--demo", "--count", "10"], env=ENV)
    screen = tmux.wait_for(lambda s: "exit=" in s, timeout=30, what="the end of the run")
    assert "exit=0" in screen
    assert len(rows(screen)) >= 6  # the demo's open incidents, still on screen after the console left
    assert "SEV" in screen and "TITLE" in screen
    lines = [line for line in screen.splitlines() if "stopped by --count" in line]
    assert len(lines) == 1 and lines[0].startswith("incidents: 10 events in ")


def _counts(screen):
    """``open P0 2 P1 3`` in the status line -> {"P0": 2, "P1": 3}."""
    line = next((line for line in screen.splitlines() if " open " in line and "events" in line), "")
    words = line.split(" open ", 1)[1].split("events")[0].split() if line else []
    return {words[n]: int(words[n + 1]) for n in range(0, len(words) - 1, 2) if words[n] in ("P0", "P1", "P2", "P3", "P4")}


def test_after_a_restart_with_another_world_the_consoles_counts_equal_the_list(tmux):
    import asyncio
    import json

    from tests.helpers import demo_server, incidents

    with demo_server("--rate", "0", "--incidents", "14") as server:
        def truth():
            listed = incidents("list", "--url", server.url, "-o", "jsonl", env={**os.environ, "HOME": "/nonexistent"})
            counted = {}
            for line in listed.stdout.splitlines():
                severity = json.loads(line)["severity"]
                counted[severity] = counted.get(severity, 0) + 1
            return counted

        tmux.start([*INCIDENTS, "watch", "--url", server.url], env=ENV)
        before = truth()
        tmux.wait_for(lambda s: _counts(s) == before, timeout=15, what=f"the first world's counts {before}")
        asyncio.run_coroutine_threadsafe(server.restart("new"), server.loop).result(seconds(10))
        after = truth()
        assert after != before  # another world
        # Within a few seconds of the reconnect the console says what the server holds, nothing more.
        screen = tmux.wait_for(lambda s: _counts(s) == after, timeout=10, what=f"the new world's counts {after}")
        assert "rows as last seen" not in screen


def test_in_the_console_a_then_enter_acknowledges_the_selected_incident_on_the_server_and_the_stream_shows_it(tmux):
    from tests.helpers import demo_server

    with demo_server("--rate", "0", "--incidents", "4") as server:
        tmux.start([*INCIDENTS, "watch", "--url", server.url], env=ENV)
        # The keys appear once the schema is known, the rows once the list is drawn: either may come first.
        screen = tmux.wait_for(lambda s: "a ack" in s and " NEW " in s, timeout=15,
                               what="the action keys in the footer and the listed rows")
        first = next(line for line in screen.splitlines() if " NEW " in line)
        short = first.split()[1]
        incident = next(i for i in server.simulator.incidents.values() if i["id"].startswith(short))
        tmux("send-keys", "-t", "t", "a")
        tmux.wait_for(lambda s: "Acknowledge 1 incident?" in s and short in s, timeout=10, what="the modal naming it")
        assert server.mutations == []  # nothing before Enter
        tmux("send-keys", "-t", "t", "Enter")
        screen = tmux.wait_for(lambda s: f"acknowledged {short}" in s, timeout=15, what="the outcome in the status area")
        assert incident["state"] == "INVESTIGATING" and server.mutations == ["updateIncident"]
        tmux.wait_for(lambda s: any(short in line and "INVESTIGATING" in line for line in s.splitlines()), timeout=10,
                      what="the row moved by the stream")
