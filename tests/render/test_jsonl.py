import io
import json
from datetime import datetime, timezone

from incident_cli import model
from incident_cli.render.jsonl import ENVELOPE_VERSION, JsonLinesRenderer, envelope

NOW = datetime(2026, 11, 27, 12, 0, 1, 250000, tzinfo=timezone.utc)


def test_envelope_shape_is_pinned():
    data = {"id": "i1", "severity": "P1", "title": "t", "unknownField": [1]}
    event = model.stream_event("newIncidents", {"newIncidents": data}, NOW)
    assert envelope(event) == {
        "v": 1,
        "kind": "incident",
        "subscription": "newIncidents",
        "received_at": "2026-11-27T12:00:01.250000Z",
        "incident_id": "i1",
        "severity": "P1",
        "data": data,
    }
    assert ENVELOPE_VERSION == 1


class CountingStream(io.BytesIO):
    flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_one_ascii_line_per_event_flushed_each_time():
    stream = CountingStream()
    renderer = JsonLinesRenderer(stream)
    hostile = "\x1b]0;title\x07 \u202e \u009b \ud800 line\nbreak"
    for n in range(3):
        renderer.write(model.stream_event("custom", {"a": n, "title": hostile}, NOW))
    lines = stream.getvalue().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4 and stream.flushes == 3
    for n, line in enumerate(lines[:3]):
        assert all(byte < 0x7F and (byte >= 0x20) for byte in line)  # 7-bit, no controls
        record = json.loads(line)
        assert record["data"] == {"a": n, "title": hostile} and record["kind"] == "data"
