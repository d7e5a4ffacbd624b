"""Filters beyond severity: the pure filter, then the real CLI against the demo in every output."""

import json

import pytest

from incident_cli import model
from incident_cli.errors import UsageError
from incident_cli.incident_filter import IncidentFilter, parse_filter, parse_states
from incident_cli.memory import Known, Memory
from tests.helpers import demo_server, incidents


def described(**fields):
    known = Known()
    known.describe({"title": "payments: disk almost full", "assignedTo": None,
                    "labels": {"team": "payments", "region": "eu-west-1"}, **fields})
    known.saw(fields.get("state", "NEW"), None)
    return known


def test_an_incident_not_described_yet_is_not_known_rather_than_dropped():
    wanted = parse_filter(team="payments")
    assert wanted.decide(None) is None
    known = Known()
    known.saw("NEW", None)  # a state change taught its state, nothing else
    assert wanted.decide(known) is None
    assert wanted.decide(described()) is True


@pytest.mark.parametrize(("words", "passes"), [
    ({"team": "Payments"}, True),  # case does not matter for a team
    ({"team": "sre,platform"}, False),
    ({"labels": ["region=eu-west-1", "team=payments"]}, True),  # every pair must hold
    ({"labels": ["region=us-east-1"]}, False),
    ({"state": "new,investigating"}, True),
    ({"state": "RESOLVED"}, False),
    ({"assignee": "none"}, True),  # nobody owns it
    ({"assignee": "alice"}, False),
    ({"grep": "DISK"}, True),
    ({"grep": "eu-west"}, True),  # a label's value is searched too
    ({"grep": "memory leak"}, False),
    ({"team": "payments", "state": "CLOSED"}, False),  # all of them must hold
])
def test_each_filter_against_a_described_incident(words, passes):
    assert parse_filter(**words).decide(described()) is passes


def test_an_owner_is_matched_by_name_and_none_means_nobody():
    owned = described(assignedTo="Alice")
    assert parse_filter(assignee="alice").decide(owned) is True
    assert parse_filter(assignee="none").decide(owned) is False
    assert parse_filter(assignee="bob,none").decide(described()) is True


def test_labels_sent_as_a_list_of_pairs_are_understood():
    known = Known()
    known.describe({"title": "t", "labels": [{"key": "team", "value": "sre"}, {"key": "tier", "value": "1"}]})
    assert parse_filter(team="sre", labels=["tier=1"]).decide(known) is True


def test_the_memory_keeps_what_the_filter_needs():
    memory = Memory()
    now = model.parse_time("2026-12-01T00:00:00Z")
    memory.observe(model.stream_event("newIncidents", {"newIncidents": {
        "id": "a1", "title": "x", "state": "NEW", "labels": {"team": "sre"}}}, now))
    memory.observe(model.stream_event("incidentStateChanges", {"incidentStateChanges": {
        "incidentId": "a1", "oldState": "NEW", "newState": "INVESTIGATING"}}, now))
    assert parse_filter(team="sre", state="INVESTIGATING").decide(memory.get("a1")) is True
    assert parse_filter(state="NEW").decide(memory.get("a1")) is False


def test_no_words_is_no_filter_and_the_status_line_says_the_rest():
    assert not parse_filter()
    words = parse_filter(team="payments", labels=["tier=1"], state="new,investigating", assignee="none", grep="disk")
    assert words
    assert words.describe() == 'team payments, tier=1, state INVESTIGATING|NEW, owner none, "disk"'


@pytest.mark.parametrize(("words", "message"), [
    ({"labels": ["team"]}, "--label needs KEY=VALUE"),
    ({"labels": ["=x"]}, "--label needs KEY=VALUE"),
    ({"team": " , "}, "--team needs at least one value"),
    ({"grep": "  "}, "--grep needs some text"),
])
def test_bad_words_are_usage_errors(words, message):
    with pytest.raises(UsageError, match=message):
        parse_filter(**words)


def test_the_table_rows_are_matched_by_the_same_rules():
    wanted = IncidentFilter(teams=frozenset({"payments"}), states=frozenset({"NEW"}))
    assert wanted.matches(title="t", assignee=None, labels={"team": "payments"}, state="NEW")
    assert not wanted.matches(title="t", assignee=None, labels={"team": "payments"}, state="INVESTIGATING")


# ---- the real CLI against the demo: every record printed belongs to the filter ------------------


def _teams_seen(server, ids):
    """The real team of each incident the server still has (closed ones are forgotten after a while)."""
    incidents_by_id = server.simulator.incidents
    return {incidents_by_id[i]["labels"]["team"] for i in ids if i in incidents_by_id}


@pytest.mark.parametrize("variant", ["reference", "drifted"])
def test_json_lines_under_a_team_filter_carry_only_that_teams_incidents(variant, tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    with demo_server("--rate", "40", "--schema-variant", variant) as server:  # drifted: labels are a list of pairs
        result = incidents("watch", "-u", server.url, "--team", "payments", "-n", "25", "-o", "jsonl", env=environ,
                           timeout=60)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 25
    kinds = {record["kind"] for record in records}
    assert {"update", "state_change"} & kinds  # not only the incidents themselves: their updates too
    ids = {record["incident_id"] for record in records}
    assert _teams_seen(server, ids) == {"payments"}
    assert "Traceback" not in result.stderr


def test_text_lines_under_a_state_filter_show_what_enters_and_what_leaves_it():
    with demo_server("--rate", "40") as server:
        result = incidents("watch", "-u", server.url, "--team", "sre", "--state", "NEW", "-n", "12", "-o", "text",
                           timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 12
    ids = {line.split()[3] for line in lines}  # "13:39:52 P1 update  96d0cc5f ..."
    full = {i for i in server.simulator.incidents if i[:8] in ids}
    assert _teams_seen(server, full) == {"sre"}
    # A state change is shown only when it leaves NEW (its last word) or enters it.
    changes = [line for line in lines if " state " in line]
    assert all("NEW \u2192" in line or "\u2192 NEW" in line for line in changes)


def test_the_table_says_the_filter_and_draws_only_the_rows_within_it():
    with demo_server("--rate", "60") as server:
        result = incidents("watch", "-u", server.url, "--team", "payments", "--state", "NEW", "-o", "table", "--for", "4s",
                           "--columns", "sev,id,team,state,title", "--max-rows", "50", timeout=60)
    assert result.returncode == 0, result.stderr
    status = "only team payments, state NEW"
    assert status in result.stdout
    frame = result.stdout.split(status)[-1].split("\u2500\n", 1)[-1]  # the rows of the last frame drawn
    rows = [line.split() for line in frame.splitlines() if line.strip() and not line.lstrip().startswith("+")]
    assert rows, frame
    # An incident that left NEW had its last change shown, and its row is no longer drawn.
    assert all(row[2] == "payments" and row[3] == "NEW" for row in rows), frame


def test_filters_come_from_a_profile_too(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[profiles.pay]\nteam = "payments"\nlabels = ["region=eu-west-1"]\n')
    with demo_server("--rate", "40") as server:
        env = {"INCIDENTS_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
        result = incidents("watch", "-u", server.url, "--profile", "pay", "-n", "10", "-o", "jsonl", env=env, timeout=60)
        shown = incidents("config", "show", "--profile", "pay", env=env)
    assert result.returncode == 0, result.stderr
    ids = {json.loads(line)["incident_id"] for line in result.stdout.splitlines()}
    assert _teams_seen(server, ids) == {"payments"}
    assert "payments" in shown.stdout and "region=eu-west-1" in shown.stdout


def test_a_bad_filter_is_one_line_and_exit_2():
    result = incidents("watch", "--demo", "--label", "team", "-n", "1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--label needs KEY=VALUE" in result.stderr
    assert result.stdout == ""


def test_a_team_or_a_label_can_be_refused_and_a_bad_word_is_a_usage_error():
    sre = described(labels={"team": "sre", "region": "eu"})
    payments = described(labels={"team": "payments", "region": "eu"})
    assert parse_filter(team="!sre").decide(sre) is False and parse_filter(team="!sre").decide(payments) is True
    assert parse_filter(team="payments,!sre").decide(payments) is True
    refused = parse_filter(labels=["team!=sre", "region=eu"])
    assert refused.decide(sre) is False and refused.decide(payments) is True
    assert refused.describe() == "region=eu, team!=sre"
    for words in ({"team": "!"}, {"labels": ["!=x"]}, {"labels": ["team"]}, {"state": "NOPE"}, {"grep": " "}):
        with pytest.raises(UsageError):
            parse_filter(**words)


def test_states_are_checked_against_both_spellings_before_the_server_says_which_it_has():
    assert parse_filter(state="detected,new").states == {"DETECTED", "NEW"}
    with pytest.raises(UsageError, match="no state 'NEW': choose from DETECTED, TRIAGED"):
        parse_states("new", known=("DETECTED", "TRIAGED"))
    with pytest.raises(UsageError, match="^profile p.state: no state 'NOPE'"):
        parse_states("nope", "profile p.state")
