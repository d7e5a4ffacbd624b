"""Where a flood's time goes: the per-event cost of each step of the JSON-lines path, in process.

Usage: python -m bench.steps [--events N] [--reps K]

Each step runs the real code on the flood's incident frame (``criticalIncidents``, about
600 bytes), N times, and prints CPU microseconds an event (the best of K): the library work
every client pays (websockets' framing, orjson both ways), then each layer of ours in the
order an event meets it. The rest of an end-to-end run's CPU (the driver's hand-over, the
inbox, the watch loop, the event loop and the socket) is what ``bench.run`` measures beyond
their sum. Last, ``fused``: one hand-written loop doing the same work for this one case
(parse, check, remember, filter, envelope, write), what a path with no layers could reach;
and the table's reducer over a storm of new incidents.
Figures are steadier than end-to-end runs on a noisy machine: no second process, no socket.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, Side, State

from bench.flood import frame
from bench.fused import FusedPath
from incident_cli import jsoncodec, model
from incident_cli import operations as ops
from incident_cli.cli.runtime import GC_THRESHOLD
from incident_cli.envelope import Stamps, envelope
from incident_cli.filtering import Decision, SeverityIndex
from incident_cli.memory import Memory
from incident_cli.messages import Dialect
from incident_cli.one_record import OneRecord
from incident_cli.protocol import ClientProtocol
from incident_cli.render.board import Board
from incident_cli.render.jsonl import JsonLinesRenderer
from incident_cli.render.writer import LineWriter
from incident_cli.tracking import Records, Tracker, Write
from incident_cli.watch import WatchRequest

ROOT = "criticalIncidents"
BATCH = 256  # frames a read, as the flood writes them


def best(reps: int, events: int, run: Callable[[], object]) -> float:
    """CPU microseconds an event, the best of ``reps`` runs of ``events``."""
    times = []
    for _ in range(reps):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times) / events * 1e6


def steps(events: int) -> dict[str, tuple[str, Callable[[], object]]]:
    """Name -> (who pays it, one run of ``events``)."""
    raw = frame("1", root=ROOT).encode()
    message = orjson.loads(raw)
    data = message["payload"]["data"]
    incident = data[ROOT]
    received_at = datetime.now(UTC)
    wire = Frame(Opcode.TEXT, raw).serialize(mask=False, extensions=[]) * BATCH

    def framing() -> None:
        ws = Protocol(Side.CLIENT, state=State.OPEN, max_size=None)
        for _ in range(events // BATCH):
            ws.receive_data(wire)
            frames = ws.events_received()
        assert len(frames) == BATCH and frames[-1].data == raw

    def library_loads() -> None:
        for _ in range(events):
            orjson.loads(raw)

    def library_dumps() -> None:
        record = {"v": 1, "kind": "incident", "subscription": ROOT, "received_at": "2026-12-01T00:00:00.000000Z",
                  "incident_id": incident["id"], "severity": "P1", "title": incident["title"], "data": incident}
        for _ in range(events):
            orjson.dumps(record) + b"\n"

    proto = ClientProtocol(Dialect.TRANSPORT_WS)
    proto.send_init()
    proto.receive_text(b'{"type":"connection_ack"}')
    proto.send_subscribe("subscription { criticalIncidents { id } }")
    proto.events_received()

    def core() -> None:  # jsoncodec.loads (orjson, the long-integer check) and the message checks
        for _ in range(events):
            proto.receive_text(raw)
            results = proto.events_received()
        assert len(results) == 1 and results[0].payload == message["payload"]

    def model_event() -> None:
        for _ in range(events):
            model.stream_event(ROOT, data, received_at)

    event = model.stream_event(ROOT, data, received_at)
    memory = Memory()
    index = SeverityIndex(memory)
    one_record = OneRecord(frozenset({ROOT}))

    def triage() -> None:  # what the watch does to an event before it is written
        for _ in range(events):
            fresh = model.stream_event(ROOT, data, received_at)
            memory.observe(fresh)
            decision = index.decide(fresh, within=frozenset({"P0", "P1"}))
            one_record.redundant(fresh, index.severity_of)
        assert decision is Decision.KEEP and memory.get(incident["id"]).title == incident["title"]

    async def render_batches() -> None:
        sink = os.open(os.devnull, os.O_WRONLY)
        # Bounds that never drop: this loop outruns the thread's turns at the GIL (the real path is 5x slower).
        writer = LineWriter(sink, max_lines=events, max_bytes=events * 1024)
        renderer = JsonLinesRenderer(writer, memory=memory)
        for _ in range(events // BATCH):
            for _ in range(BATCH):
                renderer.write(event)
            await asyncio.sleep(0)  # a turn of the event loop a batch: the writer is woken once a turn
        assert writer.close(5.0) == 0 and writer.dropped == 0
        os.close(sink)

    def render() -> None:  # envelope, jsoncodec.ascii_line, the writer's queue and thread
        asyncio.run(render_batches())

    def render_envelope() -> None:
        for _ in range(events):
            jsoncodec.ascii_line(envelope(event, memory))

    request = WatchRequest(operations=[ops.subscription("critical")], repair=False)
    result = model.Result(ROOT, data, received_at)

    def tracked(lane: bool) -> Callable[[], None]:
        """The tracker from a decoded result to the line: the general route (an event, triage,
        Write, envelope) or the fast lane (the record built at once), a batch at a time."""

        def run() -> None:
            shared = Memory()
            tracking, stamps = Tracker(request, shared, records=lane), Stamps()
            lines = 0
            for _ in range(events // BATCH):
                for _ in range(BATCH):
                    tracking.receive_result(result)
                for action in tracking.actions_to_take():
                    if type(action) is Records:
                        for record in action.records:
                            jsoncodec.ascii_line(record)
                            lines += 1
                    elif type(action) is Write:
                        jsoncodec.ascii_line(envelope(action.event, shared, stamps))
                        lines += 1
            assert lines == tracking.written == events // BATCH * BATCH

        return run

    distinct = [dict(incident, id=f"{incident['id'][:-12]}{n:012d}") for n in range(events)]

    def board() -> None:  # the table's (and the console's) reducer, a new incident each event as in a storm
        rows = Board()
        for value in distinct:
            rows.apply(model.stream_event(ROOT, {ROOT: value}, received_at), received_at)
        assert rows.events == events and 0 < len(rows.rows) <= rows.capacity

    def fused() -> None:
        path = FusedPath()
        out: list[bytes] = []
        for _ in range(events):
            line = path.line(raw, orjson.loads(raw), "2026-12-01T00:00:00.000000Z")
            if line is not None:
                out.append(line)
            if len(out) >= BATCH:
                out.clear()
        assert len(out) == events % BATCH

    return {
        "websockets framing (sans-I/O)": ("every client", framing),
        "orjson.loads": ("every client", library_loads),
        "orjson.dumps of the envelope": ("every client", library_dumps),
        "core: receive_text (jsoncodec.loads, checks)": ("ours", core),
        "model event": ("ours", model_event),
        "triage: event, memory, severity, one record": ("ours", triage),
        "render: envelope + ascii_line": ("ours", render_envelope),
        "render: JsonLinesRenderer.write to a LineWriter": ("ours", render),
        "tracker, general route: result, event, triage, envelope, ascii_line": ("ours", tracked(False)),
        "tracker, fast lane: result, record, ascii_line": ("ours", tracked(True)),
        "fused: one loop, the same work, no layers": ("bound", fused),
        "table: model event and Board.apply, a new incident each": ("ours", board),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.steps")
    parser.add_argument("--events", type=int, default=100 * BATCH * 4)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if args.events < BATCH:
        parser.error(f"--events must be at least {BATCH} (one read of the flood)")
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])  # as a JSON-lines run collects (cli/runtime.py)
    print(f"\n| step ({args.events:,} events, best of {args.reps}) | paid by | µs an event |\n|---|---|---|")
    for name, (who, run) in steps(args.events).items():
        print(f"| {name} | {who} | {best(args.reps, args.events, run):.2f} |")


if __name__ == "__main__":
    main()
