"""One server watched as it is, or several at once into one output, each reconnecting on its own.

Each server keeps its own connection, credentials, schema and reconnects; their events are
tagged with the server's name, ``--count`` counts events from all of them, and a fatal
error on one ends the view with that server's name in the message.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from incident_cli import model
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import IncidentsError
from incident_cli.memory import Memory
from incident_cli.render import Output
from incident_cli.values import frozen
from incident_cli.watch import WatchRequest, WatchResult, watch


@frozen
class Source:
    """One server to watch, ready to connect; ``name`` is set when several are watched."""

    name: str | None
    config: SessionConfig
    request: WatchRequest
    credentials: Credentials
    planner: Any = None  # rebuilds the subscriptions from the server's schema on each connection
    documents: Any = None  # the lookup and list queries, fitted to the same schema


class _AllDone(Exception):
    """--count reached across every server."""


class Sourced:
    """An Output for one of several servers: tags events with its name, counts toward --count."""

    def __init__(self, inner: Output, name: str, shared: dict[str, int], count: int | None, fail_on: frozenset[str]) -> None:
        self._inner, self._name, self._shared, self._count, self._fail_on = inner, name, shared, count, fail_on

    def write(self, event: model.StreamEvent) -> None:
        if self._count is not None and self._shared["written"] >= self._count:
            raise _AllDone  # another server reached it first; its task group is stopping this one
        self._inner.write(dataclasses.replace(event, source=self._name))
        self._shared["written"] += 1
        self._shared["alarming"] += event.severity in self._fail_on
        if self._count is not None and self._shared["written"] >= self._count:
            raise _AllDone

    def snapshot(self, event: model.IncidentSeen) -> None:
        self._inner.snapshot(dataclasses.replace(event, source=self._name))

    def report(self, event: model.StatusEvent | model.Heartbeat, source: str | None = None) -> None:
        self._inner.report(event, self._name)


async def watch_sources(
    sources: list[Source], output: Output, count: int | None, memory: Memory | None = None
) -> WatchResult:
    """``memory``: one record per incident, shared by every server's watch and the output."""
    memory = memory if memory is not None else Memory()
    if len(sources) == 1 and sources[0].name is None:
        one = sources[0]
        return await watch(one.config, one.request, output, one.credentials, one.planner, one.documents, memory)
    shared = {"written": 0, "alarming": 0}

    async def follow(source: Source) -> None:
        name = source.name or source.config.url
        tagged = Sourced(output, name, shared, count, source.request.fail_on)
        try:
            await watch(source.config, source.request, tagged, source.credentials, source.planner, source.documents,
                        memory, name)
        except IncidentsError as error:
            error.message = f"{name}: {error.message}"  # say which server
            raise

    reason = "completed"
    try:
        async with asyncio.TaskGroup() as group:
            for source in sources:
                group.create_task(follow(source))
    except BaseExceptionGroup as failures:
        # One server's fatal error ends the view (the others are cancelled); --count is no error.
        first = next((e for e in failures.exceptions if not isinstance(e, _AllDone)), None)
        if first is not None:
            raise first from None
        reason = "count"
    return WatchResult(events=shared["written"], reason=reason, alarming=shared["alarming"])
