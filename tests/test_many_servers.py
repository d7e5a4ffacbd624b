"""Several servers in one view: each reconnects on its own, the output says which is which."""

import json
import os

from tests.helpers import demo, incidents


def env(**extra):
    return {**{k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}, **extra}


def test_two_servers_merge_into_one_json_stream_with_a_source_field(tmp_path):
    with demo("--rate", "50", "--seed", "1") as first, demo("--rate", "50", "--seed", "2") as second:
        result = incidents("watch", "-u", first, "-u", second, "-n", "30", "--status-events", env=env())
        text = incidents("watch", "-u", first, "-u", second, "-n", "6", "-o", "text", env=env())
        table = incidents("watch", "-u", first, "-u", second, "-o", "table", "--for", "2s", "--max-rows", "40", env=env())
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    data = [r for r in records if r["kind"] != "status"]
    names = {first.split("//")[1].split("/")[0], second.split("//")[1].split("/")[0]}
    assert len(data) == 30 and {r["source"] for r in data} == names  # --count is for all of them
    assert {r["source"] for r in records if r["kind"] == "status" and r["event"] == "connected"} == names
    assert text.returncode == 0 and all(line.split()[1] in names for line in text.stdout.splitlines())
    assert table.returncode == 0 and "SOURCE" in table.stdout


def test_fail_on_counts_every_server_and_a_fatal_error_on_one_ends_the_run():
    with demo("--rate", "0") as quiet, demo("--rate", "200", "--seed", "3") as busy:
        seen = incidents("watch", "-u", quiet, "-u", busy, "--for", "3s", "--fail-on", "P0", env=env())
    assert seen.returncode == 3, seen.stderr
    with demo("--rate", "50") as open_server, demo("--token", "s3cret") as locked:
        denied = incidents("watch", "-u", open_server, "-u", locked, "--for", "5s", env=env())
    assert denied.returncode == 77 and "4403" in denied.stderr


def test_single_server_records_carry_no_source():
    with demo("--rate", "50") as url:
        result = incidents("watch", "-u", url, "-n", "3", env=env())
    assert all("source" not in json.loads(line) for line in result.stdout.splitlines())


def test_the_same_incident_ids_on_two_servers_are_two_incidents_each_with_its_own_state():
    # Two servers of one seed hold the same ids (a staging restored from production): each record
    # must say what its own server knows, not what the other told last.
    with demo("--rate", "0", "--seed", "5") as first, demo("--rate", "0", "--seed", "5") as second:
        listed = incidents("list", "-u", first, "-o", "json", env=env())
        ids = [json.loads(line)["incident_id"] for line in listed.stdout.splitlines()]
        assert len(ids) >= 2, listed.stderr
        for url, incident_id in ((first, ids[0]), (second, ids[1])):  # acknowledged on one server each
            assert incidents("ack", incident_id, "-u", url, env=env()).returncode == 0
        both = incidents("list", "-u", first, "-u", second, "-o", "json", env=env())
    assert both.returncode == 0, both.stderr
    records = [json.loads(line) for line in both.stdout.splitlines()]
    states = {(r["source"].split(":")[-1], r["incident_id"]): r["state"] for r in records if r["incident_id"] in ids[:2]}
    port = {url: url.split(":")[-1].split("/")[0] for url in (first, second)}
    assert states == {(port[first], ids[0]): "INVESTIGATING", (port[first], ids[1]): "NEW",
                      (port[second], ids[0]): "NEW", (port[second], ids[1]): "INVESTIGATING"}
    assert all(r["state"] == r["data"]["state"] for r in records)
