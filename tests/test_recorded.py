"""Recordings a crash left behind: every readable line used, the rest counted, nothing unbounded."""

import io
import json
from pathlib import Path

import pytest

from incident_cli import recorded
from incident_cli.errors import UsageError
from incident_cli.recorded import Skipped, numbered_lines, open_recording
from tests.helpers import demo, incidents

GOOD = json.dumps({"v": 1, "kind": "incident", "subscription": "newIncidents", "received_at": "2026-12-01T03:00:00Z",
                   "incident_id": "a" * 36, "severity": "P1", "data": {"id": "a" * 36, "title": "db down",
                                                                        "severity": "P1", "state": "NEW",
                                                                        "createdAt": "2026-12-01T03:00:00Z"}})


def broken_recording(path: Path) -> Path:
    """What kill -9 and a bad copy leave: a line not UTF-8, one nested 100,000 deep, one cut mid-way."""
    path.write_bytes(b"\n".join([
        GOOD.encode(), b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000, GOOD.encode(), GOOD.encode()[:40],
    ]))
    return path


def test_lines_too_long_or_not_utf8_are_skipped_and_counted_without_being_held(monkeypatch):
    monkeypatch.setattr(recorded, "MAX_LINE", 64)
    skipped = Skipped()
    stream = io.BytesIO(b"one\n" + b"x" * 1000 + b"\n\xff\n\ntwo")
    assert list(numbered_lines(stream, skipped)) == [(1, "one\n"), (5, "two")]
    assert (skipped.count, skipped.first) == (2, 2)
    assert "2 lines of night.jsonl skipped, the first at line 2" in skipped.warning("night.jsonl")
    assert Skipped().warning("x") is None


def test_a_device_or_a_folder_is_not_a_recording(tmp_path):
    for path in (Path("/dev/zero"), tmp_path):
        with pytest.raises(UsageError, match="is not a recording"):
            open_recording(path, io.StringIO())
    with pytest.raises(UsageError, match="cannot read"):
        open_recording(tmp_path / "missing.jsonl", io.StringIO())


@pytest.mark.parametrize("command", [("report", "--since", "300d", "-o", "json", "--recording"),
                                     ("replay", "--speed", "0", "-o", "jsonl")])
def test_report_and_replay_use_what_a_crash_left_readable_and_say_the_rest_once(tmp_path, command):
    path = broken_recording(tmp_path / "night.jsonl")
    result = incidents(*command, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning:") == 1
    assert "3 lines of " in result.stderr and "the first at line 2" in result.stderr
    if command[0] == "report":
        assert json.loads(result.stdout)["opened_count"] == 1
    else:
        assert [json.loads(line)["incident_id"] for line in result.stdout.splitlines()] == ["a" * 36] * 2


def test_show_with_a_cut_recording_and_report_of_dev_zero(tmp_path):
    path = broken_recording(tmp_path / "night.jsonl")
    with demo("--rate", "0") as url:
        shown = incidents("show", "--url", url, "8d116ece", "-r", str(path), "-o", "json")
    assert shown.returncode == 0 and "3 lines of" in shown.stderr
    zero = incidents("report", "--recording", "/dev/zero")
    assert zero.returncode == 2 and "/dev/zero is not a recording" in zero.stderr
