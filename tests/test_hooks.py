import json
import os
import sys
import time
from datetime import UTC, datetime

from incident_cli import model
from incident_cli.hooks import Hooked, HookRunner
from incident_cli.memory import Memory
from tests.helpers import demo, incidents, run

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Quiet:
    def write(self, event):
        pass

    def snapshot(self, event):
        pass

    def report(self, event, source=None):
        pass


def test_environment_of_a_hook():
    hooked = Hooked(Quiet(), runner=None, bell=None)
    seen = model.stream_event("newIncidents", {"newIncidents": {"id": "i", "severity": "P0", "title": "db\x00 down", "state": "NEW"}}, T0)
    hooked.write(seen)
    change = model.stream_event("incidentStateChanges", {"incidentStateChanges": {"incidentId": "i", "oldState": "NEW", "newState": "TRIAGED"}}, T0)
    env = hooked.environment(change)
    assert env["INCIDENT_ID"] == "i" and env["INCIDENT_TITLE"] == "db down" and env["INCIDENT_STATE"] == "TRIAGED"
    assert env["INCIDENT_OLD_STATE"] == "NEW" and env["INCIDENT_KIND"] == "state_change"


def test_bell_rings_for_new_p0_p1_only():
    rings = []
    hooked = Hooked(Quiet(), runner=None, bell=lambda: rings.append(1))
    for severity in ("P0", "P2", "P1"):
        hooked.write(model.stream_event("newIncidents", {"newIncidents": {"id": severity, "severity": severity}}, T0))
    hooked.write(model.IncidentSeen(subscription="backfill", received_at=T0, data={"id": "x"}, severity="P0"))
    assert len(rings) == 2


def test_slow_and_failing_hooks_are_reported_and_bounded():
    async def body():
        warnings = []
        runner = HookRunner(f"{sys.executable} -c 'import time; time.sleep(5)'", concurrency=2, timeout=0.3, warn=warnings.append, environ=os.environ)
        started = time.monotonic()
        for n in range(3):
            runner.submit({"n": n}, {"INCIDENT_ID": f"i{n}"})
        submitted_in = time.monotonic() - started
        await runner.drain(5)
        failing = HookRunner("exit 3", timeout=5, warn=warnings.append, environ=os.environ)
        failing.submit({}, {"INCIDENT_ID": "x"})
        await failing.drain(5)
        return submitted_in, warnings

    submitted_in, warnings = run(body())
    assert submitted_in < 0.1  # submitting never waits for a hook
    assert sum("took longer than 0.3 s" in w for w in warnings) == 3
    assert any("failed with status 3" in w for w in warnings)


def test_exec_end_to_end(tmp_path):
    log = tmp_path / "hooks.log"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, sys\n"
        "record = json.load(sys.stdin)\n"
        f"open({str(log)!r}, 'a').write(json.dumps([record['kind'], os.environ['INCIDENT_ID'], os.environ['INCIDENT_SEVERITY']]) + '\\n')\n"
    )
    with demo("--rate", "40") as url:
        result = incidents("watch", "--url", url, "-n", "5", "--exec", f"{sys.executable} {script}")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    # hooks run a few at a time, so their order may differ from the stream's
    assert len(entries) == 5 and sorted(e[1] for e in entries) == sorted(p["incident_id"] or "" for p in printed)
    assert all(e[2] in ("P0", "P1", "P2", "P3", "P4") for e in entries)


def test_with_the_watchs_memory_titles_come_from_it_and_the_hook_writes_none():
    memory = Memory()
    memory.observe(model.stream_event("newIncidents", {"newIncidents": {"id": "i", "title": "queue stuck"}}, T0))
    hooked = Hooked(Quiet(), runner=None, bell=None, memory=memory)
    hooked.write(model.stream_event("newIncidents", {"newIncidents": {"id": "j", "title": "not the hook's to keep"}}, T0))
    update = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "i", "updateType": "ASSIGNED"}}, T0)
    assert hooked.environment(update)["INCIDENT_TITLE"] == "queue stuck"
    assert memory.get("j") is None  # the watch feeds the memory, once per event


def test_a_failing_hook_says_what_it_wrote_on_stderr_harmlessly_and_cut_short():
    async def body():
        warnings = []
        failing = HookRunner("for n in 1 2 3 4; do echo \"line $n\" >&2; done; printf 'boom \\033[31m%0500d\\n' 0 >&2; exit 3",
                             timeout=5, warn=warnings.append, environ=os.environ)
        failing.submit({}, {"INCIDENT_ID": "x"})
        quiet = HookRunner("exit 4", timeout=5, warn=warnings.append, environ=os.environ)
        quiet.submit({}, {"INCIDENT_ID": "y"})
        await failing.drain(5)
        await quiet.drain(5)
        return warnings

    loud, silent = sorted(run(body()))
    assert loud.startswith("hook for x failed with status 3: line 3 | line 4 | boom ^[[31m000")  # the last lines
    assert "\x1b" not in loud and len(loud) < 400 and "line 1" not in loud
    assert silent == "hook for y failed with status 4"


def test_a_hook_reads_the_compact_record_stdout_has_and_times_in_utc(tmp_path):
    seen = tmp_path / "seen"
    with demo("--rate", "40") as url:
        result = incidents("watch", "--url", url, "-n", "1", "--exec",
                           f"cat > {seen}; printf '%s' \"$INCIDENT_RECEIVED_AT\" > {seen}.time")
    assert result.returncode == 0, result.stderr
    assert seen.read_text() == result.stdout  # the same line, byte for byte
    assert (tmp_path / "seen.time").read_text().endswith("Z")


def test_notify_sends_a_desktop_notification_for_new_incidents_of_its_severities(tmp_path):
    import os
    import stat

    shown = tmp_path / "shown"
    fake = tmp_path / "bin" / "notify-send"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s|%s|%s\\n" "$1" "$2" "$3" >> {shown}\n')  # what a desktop would show
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    environ = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    with demo("--rate", "60", "--hostile-titles") as url:
        result = incidents("watch", "--url", url, "--subscribe", "new", "-n", "12", "--notify", "P0,P1,P2", env=environ)
        nothing = incidents("watch", "--url", url, "-n", "1", "--notify", "P0", env={**os.environ, "PATH": "/nonexistent"})
    assert result.returncode == 0, result.stderr
    wanted = [json.loads(line) for line in result.stdout.splitlines() if json.loads(line)["severity"] in ("P0", "P1", "P2")]
    lines = shown.read_text().splitlines()
    assert len(lines) == len(wanted) > 0
    assert all(line.startswith("--app-name=incidents|incidents: P") for line in lines)
    titles = {r["title"].encode("utf-8", "replace").decode("utf-8") for r in wanted}
    assert {line.split("|", 2)[2] for line in lines} == titles  # passed through the environment, never as shell text
    assert nothing.returncode == 0 and nothing.stderr.count("--notify: no notify-send") == 1


def _watch_on_a_terminal(*args: str) -> tuple[int, str, str]:
    """watch in-process with stderr a terminal (where the bell rings) and stdout a pipe (JSON lines)."""
    import contextlib
    import io

    from incident_cli.cli.app import run as run_cli
    from incident_cli.env import Env

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    env = Env(stdin=io.StringIO(), stdout=io.StringIO(), stderr=Terminal(), environ=dict(os.environ))
    with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
        code = run_cli(["watch", *args], env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def test_bell_rings_for_the_severities_given_and_for_p0_p1_when_bare():
    with demo("--rate", "60") as url:
        chosen = _watch_on_a_terminal("--url", url, "--subscribe", "new", "-n", "30", "--bell", "P2,P3")
        bare = _watch_on_a_terminal("--url", url, "--subscribe", "new", "--bell", "-n", "30")
    for (code, stdout, stderr), rung in ((chosen, {"P2", "P3"}), (bare, {"P0", "P1"})):
        assert code == 0, stderr
        severities = [json.loads(line)["severity"] for line in stdout.splitlines()]
        assert len(severities) == 30 and "\a" not in stdout  # never in the data
        assert stderr.count("\a") == sum(s in rung for s in severities) > 0


def test_every_kind_of_hook_gets_the_incidents_team_owner_and_state_as_known():
    hooked = Hooked(Quiet(), runner=None, bell=None)
    hooked.write(model.stream_event("newIncidents", {"newIncidents": {
        "id": "i", "severity": "P0", "title": "db down", "state": "NEW", "assignedTo": "dana", "labels": {"team": "sre"}}}, T0))
    update = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "i", "updateType": "COMMENT_ADDED"}}, T0)
    env = hooked.environment(update)
    assert (env["INCIDENT_TEAM"], env["INCIDENT_OWNER"], env["INCIDENT_STATE"]) == ("sre", "dana", "NEW")
    stranger = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "z", "updateType": "ASSIGNED"}}, T0)
    assert hooked.environment(stranger)["INCIDENT_OWNER"] == "" and hooked.environment(stranger)["INCIDENT_TEAM"] == ""
