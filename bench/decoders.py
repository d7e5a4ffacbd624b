"""msgspec against what the client does now: decoding a ``next`` frame, and holding an incident.

Usage: python -m bench.decoders [--events N] [--reps K]

Issue 25 asks whether msgspec (typed JSON decoding straight into frozen Structs, at C speed)
should be a fused lane's decoder or replace values.py's hand-made classes. This measures, on
the flood's incident frame, CPU microseconds an event (the best of K runs of N):
- decoding: orjson.loads to dicts (today), msgspec to dicts, msgspec straight into typed Structs;
- making the incident value from the decoded dict: model.Incident.from_data (today) against a
  msgspec Struct made by msgspec.convert, and the typed decode that skips the dict altogether;
- the size of one incident value held in memory.
msgspec is a bench dependency only: nothing in the client imports it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import msgspec
import orjson

from bench.flood import frame
from incident_cli import model


class IncidentStruct(msgspec.Struct, frozen=True, gc=False):
    id: str | None = None
    title: str | None = None
    description: str | None = None
    severity: str | None = None
    state: str | None = None
    incidentType: str | None = None
    source: str | None = None
    createdAt: str | None = None
    updatedAt: str | None = None
    resolvedAt: str | None = None
    assignedTo: str | None = None
    affectedResources: tuple[str, ...] = ()
    labels: dict[str, str] = {}


class Data(msgspec.Struct, gc=False):
    criticalIncidents: IncidentStruct


class Payload(msgspec.Struct, gc=False):
    data: Data


class Next(msgspec.Struct, gc=False):
    id: str
    type: str
    payload: Payload


def per_event(work: Callable[[], Any], events: int, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        started = time.process_time()
        for _ in range(events):
            work()
        best = min(best, time.process_time() - started)
    return best / events * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.decoders")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    text = frame("1", root="criticalIncidents")
    raw = text.encode()
    incident = orjson.loads(raw)["payload"]["data"]["criticalIncidents"]
    untyped = msgspec.json.Decoder()
    typed = msgspec.json.Decoder(Next)
    rows = [
        ("decode: orjson.loads to dicts (today)", lambda: orjson.loads(raw)),
        ("decode: msgspec to dicts", lambda: untyped.decode(raw)),
        ("decode: msgspec into typed Structs (no dicts)", lambda: typed.decode(raw)),
        ("value: model.Incident.from_data(dict) (today)", lambda: model.Incident.from_data(incident)),
        ("value: msgspec.convert(dict, Struct)", lambda: msgspec.convert(incident, IncidentStruct)),
        ("decode + value: orjson + from_data (today)",
         lambda: model.Incident.from_data(orjson.loads(raw)["payload"]["data"]["criticalIncidents"])),
        ("decode + value: msgspec typed", lambda: typed.decode(raw).payload.data.criticalIncidents),
    ]
    print(f"# bench.decoders: {len(raw)}-byte criticalIncidents frame, {args.events:,} events, best of {args.reps}\n")
    print("| step | µs an event |\n|---|---|")
    for name, work in rows:
        print(f"| {name} | {per_event(work, args.events, args.reps):.2f} |")
    ours = model.Incident.from_data(incident)
    theirs = typed.decode(raw).payload.data.criticalIncidents
    print("\n| one incident held | bytes (the object and its attribute dict, not the strings) |\n|---|---|")
    print(f"| model.Incident | {_held(ours)} |")
    print(f"| msgspec Struct | {_held(theirs)} |")


def _held(value: Any) -> int:
    inner = getattr(value, "__dict__", None)
    return sys.getsizeof(value) + (sys.getsizeof(inner) if inner is not None else 0)


if __name__ == "__main__":
    main()
