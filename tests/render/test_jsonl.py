import io
import json
from datetime import UTC, datetime

import pytest

from incident_cli import model
from incident_cli.render.jsonl import JsonLinesRenderer
from incident_cli.render.status import StatusLines

NOW = datetime(2026, 11, 27, 12, 0, 1, 250000, tzinfo=UTC)


class ListSink:
    def __init__(self, dropped=0):
        self.lines = []
        self.dropped = dropped

    def put(self, line, keep=False):
        self.lines.append(line)

    def take_dropped(self):
        count, self.dropped = self.dropped, 0
        return count


def test_one_ascii_line_per_event():
    sink = ListSink()
    renderer = JsonLinesRenderer(sink)
    hostile = "\x1b]0;title\x07 \u202e \u009b \ud800 line\nbreak"
    for n in range(3):
        renderer.write(model.stream_event("custom", {"a": n, "title": hostile}, NOW))
    assert len(sink.lines) == 3
    for n, line in enumerate(sink.lines):
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert all(0x20 <= byte < 0x7F for byte in line[:-1])  # 7-bit, no controls
        record = json.loads(line)
        # A lone surrogate is written as U+FFFD, which every consumer takes; the rest as sent.
        assert record["data"] == {"a": n, "title": hostile.replace("\ud800", "\ufffd")} and record["kind"] == "data"


def test_status_goes_to_stderr_and_into_json_only_when_asked():
    reconnecting = model.Reconnecting(reason="closed with 1012", attempt=2, delay=1.5)
    stderr = io.StringIO()
    quiet = ListSink()
    JsonLinesRenderer(quiet, StatusLines(stderr)).report(reconnecting)
    assert quiet.lines == [] and "reconnecting in 1.5 s" in stderr.getvalue()
    loud = ListSink()
    renderer = JsonLinesRenderer(loud, None, status_events=True)
    renderer.report(reconnecting)
    renderer.report(model.Heartbeat(subscription="incidentUpdates", received_at=NOW, data={"updateType": "HEARTBEAT"}))
    line, beat = loud.lines
    record = json.loads(line)
    assert record["kind"] == "status" and record["event"] == "reconnecting"
    assert record["data"] == {"reason": "closed with 1012", "attempt": 2, "delay": 1.5}
    # Liveness is a status record, asked for with the others; never data.
    assert json.loads(beat) == {"v": 1, "kind": "status", "event": "heartbeat", "received_at": "2026-11-27T12:00:01.250000Z",
                                "subscription": "incidentUpdates", "data": {"updateType": "HEARTBEAT"}}
    JsonLinesRenderer(quiet).report(model.Heartbeat(subscription="custom", received_at=NOW, data={}))
    assert quiet.lines == []


def test_dropped_lines_are_reported_at_most_once_every_few_seconds_and_in_all_at_the_end():
    from incident_cli.render.drops import DropReports

    class Dropping(ListSink):
        def take_dropped(self):
            return 1  # a reader far behind: every line written pushes the oldest out

    clock = [0.0]
    stderr = io.StringIO()
    renderer = JsonLinesRenderer(Dropping(), StatusLines(stderr), drops=DropReports(every=5.0, clock=lambda: clock[0]))
    for n in range(20_000):
        clock[0] = n / 2000  # 2,000 events/s for 10 s
        renderer.write(model.stream_event("custom", {"a": n}, NOW))
    renderer.report(renderer.drops.final())
    assert stderr.getvalue().splitlines() == [
        "incidents: warning: the reader of stdout fell behind: 1 line dropped",
        "incidents: warning: the reader of stdout fell behind: 10,000 lines dropped (10,001 so far)",
        "incidents: warning: 20,000 lines dropped in all: the reader of stdout fell behind",
    ]


def test_snapshots_only_backfill_and_only_when_asked():
    event = model.IncidentSeen(subscription="backfill", received_at=NOW, data={"id": "x"})
    sink = ListSink()
    JsonLinesRenderer(sink).snapshot(event)
    assert sink.lines == []
    JsonLinesRenderer(sink, snapshots=True).snapshot(event)
    JsonLinesRenderer(sink, snapshots=True).snapshot(
        model.IncidentSeen(subscription="lookup", received_at=NOW, data={"id": "y"})
    )
    assert len(sink.lines) == 1 and json.loads(sink.lines[0])["subscription"] == "backfill"


@pytest.mark.parametrize("title", ["plain", "caf\u00e9 \x1b[31m"])  # the fast encoder, and the escaping one
def test_the_tools_own_labels_are_written_as_plain_strings(title):
    sink = ListSink()
    JsonLinesRenderer(sink).write(
        model.IncidentSeen(subscription=model.Label.REPAIR, received_at=NOW, data={"id": "x", "title": title})
    )
    assert b'"subscription":"repair"' in sink.lines[0].replace(b" ", b"")
    assert json.loads(sink.lines[0])["subscription"] == "repair"


def test_records_about_an_incident_carry_its_title_learned_from_what_came_before():
    sink = ListSink()
    renderer = JsonLinesRenderer(sink)  # alone: a memory of its own
    renderer.snapshot(model.IncidentSeen(subscription="baseline", received_at=NOW, data={
        "id": "a", "title": "db down", "state": "NEW", "assignedTo": "dana", "labels": {"team": "sre"}}))
    renderer.write(model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "a", "updateType": "ASSIGNED"}},
                                      NOW))
    renderer.write(model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "b", "updateType": "ASSIGNED"}},
                                      NOW))
    renderer.write(model.stream_event("custom", {"x": 1}, NOW))
    first, unknown, custom = (json.loads(line) for line in sink.lines)
    # An update names only its id: the title, state, owner and team come from what came before,
    # between the envelope's fields and the server's data (which stays as it was sent).
    assert list(first)[6:] == ["title", "state", "owner", "team", "data"]
    assert (first["title"], first["state"], first["owner"], first["team"]) == ("db down", "NEW", "dana", "sre")
    assert first["data"] == {"incidentId": "a", "updateType": "ASSIGNED"}
    assert unknown["title"] is unknown["state"] is unknown["owner"] is unknown["team"] is None  # never a guess
    assert "title" not in custom  # not about one incident
