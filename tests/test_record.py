import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from incident_cli import model
from incident_cli.record import NotARecord, Recording, decode, replay
from incident_cli.recorded import Skipped
from tests.helpers import demo, incidents, run

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Collect:
    def __init__(self):
        self.calls = []

    def write(self, event):
        self.calls.append(("write", event))

    def snapshot(self, event):
        self.calls.append(("snapshot", event))

    def report(self, event, source=None):
        self.calls.append(("report", event))


def recorded_events():
    incident = {"id": "a", "severity": "P1", "title": "db", "state": "NEW"}
    return [
        ("report", model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=1)),
        ("snapshot", model.IncidentSeen(subscription="backfill", received_at=T0, data=incident, severity="P1")),
        ("write", model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "a", "updateType": "ASSIGNED"}},
                                     T0 + timedelta(seconds=2))),
        ("write", model.stream_event("custom", {"a": 1, "b": [2]}, T0 + timedelta(seconds=3))),
    ]


def test_a_recording_round_trips_to_the_same_events():
    stream, inner = io.StringIO(), Collect()
    clock = iter([T0, T0 + timedelta(seconds=1)])
    recording = Recording(inner, stream, clock=lambda: next(clock))
    original = recorded_events()
    for how, event in original:
        getattr(recording, how)(event)
    recording.report(model.Heartbeat(subscription="incidentUpdates", received_at=T0, data={}))  # not recorded
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["v"] == 1 for line in lines)
    assert inner.calls[:4] == original  # the live view saw everything

    waits, replayed = [], Collect()
    count = run(replay(enumerate(lines, 1), replayed, speed=2.0, sleep=lambda s: waits.append(s) or _done()))
    assert count == 4 and [how for how, _ in replayed.calls] == ["report", "snapshot", "write", "write"]
    assert replayed.calls[0][1] == original[0][1]
    assert replayed.calls[2][1].update == original[2][1].update and replayed.calls[3][1].data == {"a": 1, "b": [2]}
    assert waits == [1.0, 0.5]  # the original gaps (2 s, then 1 s), at double speed


async def _done():
    return None


def test_a_line_that_is_not_a_record_is_said_with_its_number_and_skipped_when_replayed():
    with pytest.raises(NotARecord, match="line 3"):
        decode('{"v":1}', 3)
    skipped = Skipped()
    assert run(replay([(1, '{"v":1}'), (2, "[" * 100_000)], Collect(), speed=0, skipped=skipped)) == 0
    assert (skipped.count, skipped.first) == (2, 1)


def test_record_then_replay_through_the_real_cli(tmp_path):
    recording = tmp_path / "rec.jsonl"
    with demo("--rate", "40") as url:
        live = incidents("watch", "--url", url, "--for", "2s", "--record", str(recording))
    assert live.returncode == 0, live.stderr
    replayed = incidents("replay", str(recording), "--speed", "0")
    assert replayed.returncode == 0 and replayed.stdout == live.stdout  # the same JSON lines
    text = incidents("replay", str(recording), "--speed", "0", "-o", "text")
    assert len(text.stdout.splitlines()) == len(live.stdout.splitlines())


def test_replayed_table_shows_the_same_rows_as_the_live_table(tmp_path):
    recording = tmp_path / "rec.jsonl"
    with demo("--rate", "40") as url:
        live = incidents("watch", "--url", url, "--for", "2s", "-o", "table", "--max-rows", "100", "--record", str(recording))
    replayed = incidents("replay", str(recording), "--speed", "0", "-o", "table", "--max-rows", "100")
    assert live.returncode == 0 and replayed.returncode == 0, live.stderr + replayed.stderr

    def rows(screen):  # severity, id, title, state of the last frame drawn
        frame = screen.split("SEV   ID")[-1]
        return [tuple(re.split(r"\s{2,}", line.strip())[:4]) for line in frame.splitlines() if line[:2] in ("P0", "P1", "P2", "P3", "P4")]

    assert rows(live.stdout) and rows(replayed.stdout) == rows(live.stdout)
    last = replayed.stdout.split("SEV   ID")[-2].splitlines()[-1]  # the status line of the last frame
    assert "\u25b6 replay of rec.jsonl, recorded " in last and last.split(" at x")[1].startswith("0")
    assert "\u25cf live" not in last and url.split("//")[1] not in last  # never "live" with the server's address


# ---- the console's player: pause, seek, and the end ---------------------------------------------


def player_lines(seconds=(0, 5, 20, 40, 60)):
    stream = io.StringIO()
    clock = iter([T0 + timedelta(seconds=s) for s in seconds])
    recording = Recording(Collect(), stream, clock=lambda: next(clock))
    for number, _ in enumerate(seconds):
        recording.write(model.stream_event("newIncidents", {"newIncidents": {"id": f"i{number}", "severity": "P1"}},
                                           T0 + timedelta(seconds=seconds[number])))
    return stream.getvalue().splitlines()


class Screen(Collect):
    """An output that can be cleared, as the console's feed is for a seek back."""

    def __init__(self):
        super().__init__()
        self.resets = 0

    def reset(self):
        self.calls.clear()
        self.resets += 1

    def ids(self):
        return [event.incident_id for _, event in self.calls]


async def playing(player, screen, *steps):
    """Run the player while ``steps`` (callables, then a yield to the loop) happen; what was seen at each."""
    import asyncio

    task = asyncio.ensure_future(player.play(screen, reset=screen.reset))
    seen = []
    for step in steps:
        step()
        for _ in range(20):
            await asyncio.sleep(0.01)
        seen.append((screen.ids(), player.clock_seen[-1] if player.clock_seen else None))
    task.cancel()
    return seen


def test_the_player_pauses_seeks_both_ways_and_waits_at_the_end():
    from incident_cli.record import Player

    moments = []
    player = Player(enumerate(player_lines(), 1), speed=0.001, on_time=moments.append)  # so slow that only keys move it
    player.clock_seen = moments
    screen = Screen()
    seen = run(playing(
        player, screen,
        lambda: None,  # the first event at once, then a gap nobody waits out
        lambda: player.seek(25),  # to 0:25: the events of 0:05 and 0:20 at once
        lambda: player.seek(-20),  # back to 0:05: the view is cleared and played again up to there
        player.toggle,  # paused: a seek still moves, playing does not
        lambda: player.seek(100),  # past the end: everything, and the player waits there
    ))
    assert seen[0] == (["i0"], T0)
    assert seen[1] == (["i0", "i1", "i2"], T0 + timedelta(seconds=25))
    assert seen[2] == (["i0", "i1"], T0 + timedelta(seconds=5)) and screen.resets == 1
    assert seen[3][0] == ["i0", "i1"] and player.paused
    assert seen[4] == (["i0", "i1", "i2", "i3", "i4"], T0 + timedelta(seconds=60)) and player.ended
