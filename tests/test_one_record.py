"""One record per change by default: the richer of the messages about it, with a title."""

import json
import os
import re
from datetime import UTC, datetime

import pytest

from incident_cli import model
from incident_cli.one_record import OneRecord
from tests.helpers import demo_server, incidents

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEFAULT = frozenset({"newIncidents", "incidentUpdates", "incidentStateChanges"})


def update(kind):
    return model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "a", "updateType": kind}}, NOW)


@pytest.mark.parametrize(("roots", "kind", "severity", "redundant"), [
    (DEFAULT, "STATE_CHANGED", None, True),  # the state change says it, with the old and new state
    (DEFAULT, "RESOLVED", None, True),
    (DEFAULT, "CREATED", None, True),  # the incident itself says it
    (DEFAULT, "ASSIGNED", None, False),  # only an update says these
    (DEFAULT, "COMMENT_ADDED", None, False),
    (frozenset({"incidentUpdates"}), "STATE_CHANGED", None, False),  # nothing richer is followed
    (frozenset({"incidentUpdates", "newIncidents"}), "STATE_CHANGED", None, False),
    (frozenset({"incidentUpdates", "criticalIncidents"}), "CREATED", "P1", True),
    (frozenset({"incidentUpdates", "criticalIncidents"}), "CREATED", "P3", False),  # critical carries P0 and P1 only
])
def test_an_update_is_left_out_only_when_a_followed_stream_says_more(roots, kind, severity, redundant):
    assert OneRecord(roots).redundant(update(kind), lambda _id: severity) is redundant


def test_anything_but_an_update_is_never_left_out():
    change = model.stream_event("incidentStateChanges", {"incidentStateChanges": {"incidentId": "a", "newState": "X"}}, NOW)
    assert not OneRecord(DEFAULT).redundant(change)


def test_the_default_json_lines_carry_one_titled_record_per_change_and_raw_streams_every_message():
    with demo_server("--rate", "40") as server:
        one = incidents("watch", "-u", server.url, "-n", "60")
        raw = incidents("watch", "-u", server.url, "-n", "60", "--raw-streams")
    assert one.returncode == 0 and raw.returncode == 0, one.stderr + raw.stderr
    records = [json.loads(line) for line in one.stdout.splitlines()]
    updates = {r["data"]["updateType"] for r in records if r["kind"] == "update"}
    assert {r["kind"] for r in records} >= {"incident", "state_change"}
    assert not updates & {"CREATED", "STATE_CHANGED", "RESOLVED"}, updates
    assert all(r["title"] for r in records), [r for r in records if not r["title"]][:2]  # updates too
    titles = {r["incident_id"]: r["title"] for r in records}
    assert all(titles[i] == server.simulator.incidents[i]["title"] for i in titles if i in server.simulator.incidents)
    every = {json.loads(line)["data"].get("updateType") for line in raw.stdout.splitlines()}
    assert {"CREATED", "STATE_CHANGED"} <= every


def test_the_count_jq_makes_is_the_count_the_table_shows(tmp_path):
    recording = tmp_path / "rec.jsonl"
    with demo_server("--rate", "40") as server:
        lines = incidents("watch", "-u", server.url, "-n", "50", "--record", str(recording))
    table = incidents("replay", str(recording), "--speed", "0", "-o", "table", env={**os.environ, "COLUMNS": "200"})
    assert lines.returncode == 0 and table.returncode == 0, lines.stderr + table.stderr
    shown = int(re.findall(r"(\d+) events", table.stdout)[-1])  # the last frame's status line
    assert shown == len(lines.stdout.splitlines()) == 50
