"""`incidents show` and `incidents list` as a user runs them, against the demo."""

import json

import pytest

from tests.helpers import demo_server, incidents


def test_show_by_a_start_of_the_id_as_json_and_as_text():
    with demo_server() as server:
        incident = next(iter(server.simulator.active()))
        as_json = incidents("show", "-u", server.url, incident["id"][:8])
        as_text = incidents("show", "-u", server.url, incident["id"][:8], "-o", "text")
    assert as_json.returncode == 0, as_json.stderr
    shown = json.loads(as_json.stdout)  # piped: one JSON object
    assert shown["id"] == incident["id"] and shown["description"] == incident["description"]
    assert as_text.returncode == 0, as_text.stderr
    for field in ("title", "severity", "state", "owner", "team", "labels", "resources", "opened", "description"):
        assert field in as_text.stdout
    assert incident["title"] in as_text.stdout and incident["description"].splitlines()[0] in as_text.stdout


def test_show_with_a_recording_adds_the_updates_it_saw(tmp_path):
    recording = tmp_path / "rec.jsonl"
    with demo_server("--rate", "50") as server:
        watched = incidents("watch", "-u", server.url, "-n", "40", "--record", str(recording))
        assert watched.returncode == 0, watched.stderr
        records = [json.loads(line) for line in recording.read_text().splitlines()]
        counts = {}
        for record in records:
            if record["kind"] in ("update", "state_change"):
                counts[record["incident_id"]] = counts.get(record["incident_id"], 0) + 1
        busiest = max(counts, key=counts.get)
        text = incidents("show", "-u", server.url, busiest, "-o", "text", "-r", str(recording))
        as_json = incidents("show", "-u", server.url, busiest, "-o", "json", "-r", str(recording))
    assert text.returncode == 0, text.stderr
    assert "updates seen" in text.stdout and "(none" not in text.stdout
    seen = json.loads(as_json.stdout)["updatesSeen"]
    assert len([r for r in seen if r["kind"] in ("update", "state_change")]) == counts[busiest]


@pytest.mark.parametrize(("args", "status", "said"), [
    (["no-such-id"], 1, "no incident 'no-such-id'"),
    (["  "], 2, "show needs an incident id"),
])
def test_show_of_nothing_known_is_one_line_and_its_status(args, status, said):
    with demo_server() as server:
        result = incidents("show", "-u", server.url, *args)
    assert result.returncode == status and said in result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


def test_show_with_a_recording_that_is_not_one_says_so_before_connecting(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    result = incidents("show", "-u", "ws://127.0.0.1:9/graphql/ws", "abc", "-r", str(bad))
    assert result.returncode == 2 and "holds no incidents records (line 1 is the first): is it a recording" in result.stderr
    assert "cannot connect" not in result.stderr  # said before connecting


@pytest.mark.parametrize("variant", ["reference", "drifted"])
def test_list_is_watch_once_with_filters_on_either_schema(variant, tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    with demo_server("--schema-variant", variant, "--rate", "0") as server:
        listed = incidents("list", "-u", server.url, env=environ)
        once = incidents("watch", "-u", server.url, "--once", env=environ)
        team = server.simulator.active()[0]["labels"]["team"]
        truth = {i["id"] for i in server.simulator.active() if i["labels"]["team"] == team}
        filtered = incidents("list", "-u", server.url, "--team", team, env=environ)
        text = incidents("list", "-u", server.url, "--team", team, "-o", "text", env=environ)
    assert listed.returncode == 0, listed.stderr
    ids = [json.loads(line)["incident_id"] for line in listed.stdout.splitlines()]
    assert ids and ids == [json.loads(line)["incident_id"] for line in once.stdout.splitlines()]
    assert {json.loads(line)["incident_id"] for line in filtered.stdout.splitlines()} == truth
    assert text.returncode == 0 and len(text.stdout.splitlines()) == len(truth)
