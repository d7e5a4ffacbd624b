"""incidents report, as a user runs it: from the demo, from a recording, as JSON and as Markdown."""

import json

from tests.helpers import demo, demo_server, incidents


def test_a_report_from_the_server_counts_what_it_lists():
    with demo_server("--incidents", "20", "--rate", "0") as server:
        as_json = incidents("report", "-u", server.url, "--since", "1h", "-o", "json")
        as_md = incidents("report", "-u", server.url, "--since", "1h")
        active = len(server.simulator.active())
    assert as_json.returncode == 0, as_json.stderr
    summary = json.loads(as_json.stdout)
    assert len(summary["opened"]) == active == sum(summary["open_by_severity"].values())
    assert as_md.stdout.startswith("# Handover: ") and f"still open: **{active}**" in as_md.stdout


def test_a_report_from_a_recording_knows_the_time_to_acknowledge(tmp_path):
    recording = tmp_path / "night.jsonl"
    with demo("--rate", "60") as url:
        watched = incidents("watch", "-u", url, "-n", "80", "--record", str(recording))
    assert watched.returncode == 0, watched.stderr
    summary = json.loads(incidents("report", "--recording", str(recording), "-o", "json").stdout)
    assert summary["opened"] and summary["median_to_acknowledge"] is not None
    bad = incidents("report", "--since", "soon", "--recording", str(recording))
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_a_report_narrowed_by_severity_and_team_cut_by_limit_says_so_and_puts_p0_first():
    with demo_server("--incidents", "1200", "--rate", "0") as server:
        everything = json.loads(incidents("report", "-u", server.url, "--since", "1h", "-o", "json").stdout)
        narrowed = incidents("report", "-u", server.url, "--since", "1h", "-o", "json", "--severity", "P0,P1",
                             "--team", "!sre")
        cut = incidents("report", "-u", server.url, "--since", "1h", "--limit", "10", "-o", "md")
        world = list(server.simulator.incidents.values())
    # Every page of the server's list: no silent 1,000.
    assert everything["opened_count"] == len(everything["opened"]) == 1200
    assert list(everything["open_by_severity"]) == ["P0", "P1", "P2", "P3", "P4"]  # by severity, not by count
    wanted = [i for i in world if i["severity"] in ("P0", "P1") and i["labels"]["team"] != "sre"]
    summary = json.loads(narrowed.stdout)
    assert summary["opened_count"] == len(wanted) and set(summary["open_by_team"]) <= {"payments", "platform"}
    assert cut.returncode == 0 and "showing at most 10 of 1,200 opened and 0 resolved (--limit)" in cut.stderr
    assert "## Opened (1,200 incidents)" in cut.stdout and "- … and 1,190 more (--limit)" in cut.stdout
    opened = cut.stdout.split("## Opened")[1]
    assert opened.index("**P0**") < opened.index("… and")
