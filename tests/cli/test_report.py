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
