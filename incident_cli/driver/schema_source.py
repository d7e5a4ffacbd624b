"""Where the schema view comes from: a short-lived cache on disk, or introspection.

An I/O edge. One small round trip per connection at most, none on a warm cache; a
server that refuses introspection gets the reference documents, with one notice.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from incident_cli import operations as ops
from incident_cli import schema
from incident_cli.errors import IncidentsError, ListTooLong, OperationRejected
from incident_cli.operations import Operation

CACHE_LIFETIME = 600.0  # seconds: deploys change schemas, so not for long

Ask = Callable[[Operation], Awaitable[Any]]
LIST_PAGE_SIZE = 100
# A runaway guard only: a server whose pages never end (or that ignores the page asked for
# and adds nothing new) is stopped with a warning, never silently. 2,000 pages: 200,000 incidents.
MAX_LIST_PAGES = 2_000


def cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path(environ.get("HOME") or Path.home()) / ".cache"
    return root / "incidents" / "schema"


class SchemaSource:
    def __init__(
        self, url: str, directory: Path | None, *, lifetime: float = CACHE_LIFETIME, clock: Callable[[], float] = time.time
    ) -> None:
        self._path = directory / (hashlib.sha256(url.encode()).hexdigest()[:20] + ".json") if directory else None
        self._lifetime = lifetime
        self._clock = clock
        self.view: schema.SchemaView | None = None
        self.refused = False  # the server does not answer introspection
        self.fetches = 0
        self.cached = False  # the last view loaded came from the cache, not the server

    async def load(self, ask: Ask, *, fresh: bool = False) -> tuple[schema.SchemaView | None, str | None]:
        """The view (cached or fetched; ``fresh``: fetched, as an action decides from it) and a
        notice to show once, if any."""
        if self.refused:
            return None, None
        cached = None if fresh else self._read()
        self.cached = cached is not None
        if cached is not None:
            self.view = cached
            return cached, None
        introspection = Operation(label="introspection", document=schema.INTROSPECTION, operation_name="IncidentsSchema")
        try:
            data = await ask(introspection)
            self.fetches += 1
            self.view = schema.SchemaView.parse(data)
        except (OperationRejected, ValueError) as error:
            self.refused = True
            return None, f"the server does not answer introspection ({error}); using the reference documents"
        self._write(data)
        return self.view, None

    def invalidate(self) -> None:
        self.view = None
        if self._path is not None:
            try:
                self._path.unlink()
            except OSError:
                pass

    def _read(self) -> schema.SchemaView | None:
        if self._path is None:
            return None
        try:
            record = json.loads(self._path.read_text(encoding="utf-8"))
            if self._clock() - float(record["fetched_at"]) > self._lifetime:
                return None
            return schema.SchemaView.parse(record["data"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, data: Any) -> None:
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"fetched_at": self._clock(), "data": data}), encoding="utf-8")
            os.replace(temporary, self._path)
        except OSError:
            pass  # a cache that cannot be written is only slower


class Documents:
    """The queries watch.py runs (lookups, lists): built from the schema when there is one."""

    def __init__(self, source: SchemaSource | None = None) -> None:
        self._source = source

    @property
    def view(self) -> schema.SchemaView | None:
        """The server's schema, once known."""
        return self._source.view if self._source else None

    def incident(self, incident_id: str, fields: str | None = None) -> Operation | None:
        """``incident(id)``; ``fields``: more than the stream's (assignees, timeline...), where the schema has them."""
        view = self._source.view if self._source else None
        if view is None:
            return ops.incident_query(incident_id)
        return schema.incident_query(view, incident_id, fields) if fields else schema.incident_query(view, incident_id)

    def mutations(self) -> frozenset[str] | None:
        """The server's mutations, once its schema is known; None before (or without introspection)."""
        view = self._source.view if self._source else None
        return frozenset(view.mutations) if view is not None else None

    def enum(self, name: str) -> tuple[str, ...] | None:
        """The values of one of the server's enums, once its schema is known; None before."""
        view = self._source.view if self._source else None
        values = view.enums.get(name) if view else None
        return tuple(values) if values else None

    def incidents(self, ids: list[str]) -> Operation | None:
        """Several incidents by id in one query (aliases), for checking what left the list."""
        view = self._source.view if self._source else None
        return schema.incidents_by_id_query(view, ids) if view else ops.incidents_by_id_query(ids)

    def active(self, *, severities: tuple[str, ...], page: int, active_only: bool = True) -> Operation | None:
        """The list query (``active_only`` False: resolved and closed incidents too, for a report)."""
        view = self._source.view if self._source else None
        if view is None:
            return ops.active_incidents_query(severities=severities, page=page, active_only=active_only)
        return schema.active_incidents_query(view, severities=severities, page=page, active_only=active_only)

    async def pages(
        self, ask: Ask, *, severities: tuple[str, ...] = (), active_only: bool = True
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every listed incident, a page at a time, each id once (a list that shifts while it is
        read can show an incident on two pages); nothing when the server cannot list. The caller
        holds only what it keeps, so a long list costs no more memory than a page. A failed query
        raises (IncidentsError); a list that never ends raises ListTooLong after MAX_LIST_PAGES."""
        seen: set[str] = set()
        for page in range(1, MAX_LIST_PAGES + 1):
            operation = self.active(severities=severities, page=page, active_only=active_only)
            if operation is None:
                return
            data = await ask(operation)
            connection = data.get("incidents") if isinstance(data, dict) else None
            found = connection.get("incidents") if isinstance(connection, dict) else None
            fresh = []
            for item in found if isinstance(found, list) else ():
                key = item.get("id") if isinstance(item, dict) else None
                if isinstance(key, str) and key not in seen:
                    seen.add(key)
                    fresh.append(item)
            if fresh:
                yield fresh
            info = connection.get("pageInfo") if isinstance(connection, dict) else None
            # No next page, or a page with nothing new (a server that ignores pagination): the end.
            if not (isinstance(info, dict) and info.get("hasNextPage")) or not fresh:
                return
        raise ListTooLong(f"the server's list did not end after {MAX_LIST_PAGES:,} pages ({len(seen):,} incidents)")

    def can_list(self) -> bool:
        return self.active(severities=(), page=1) is not None

    async def list_active(
        self, ask: Ask, *, severities: tuple[str, ...] = (), active_only: bool = True
    ) -> list[dict[str, Any]] | None:
        """Every active incident, every page; None: the server cannot list. A failed query raises."""
        if not self.can_list():
            return None
        return [item async for page in self.pages(ask, severities=severities, active_only=active_only) for item in page]


class Planner:
    """Builds the subscriptions for each connection from the server's schema. ``states``: the
    watch's --state (checked against the schema's IncidentState by the watch): a cached schema
    without one of them is read again from the server first."""

    def __init__(
        self, source: SchemaSource, names: tuple[str, ...], severities: tuple[str, ...], incident_ids: tuple[str, ...] = (),
        states: frozenset[str] = frozenset(),
    ) -> None:
        self.source = source
        self._names = names
        self._severities = severities
        self._incident_ids = incident_ids
        self._states = states
        self._told: set[str] = set()

    async def __call__(self, ask: Ask) -> tuple[list[Operation], list[str]]:
        view, notice = await self.source.load(ask)
        known = view.enums.get("IncidentState") if view is not None else None
        if known and not self._states <= set(known) and self.source.cached:
            # A state the cached schema lacks: the server may have changed since (a deploy), and the
            # watch refuses a --state its server does not have; so the server is asked first.
            view, notice = await self.source.load(ask, fresh=True)
        notes = [notice] if notice else []
        if view is None:
            operations = [ops.subscription(name, severities=self._severities) for name in self._names]
        else:
            plan = schema.plan_subscriptions(view, self._names, self._severities, self._incident_ids)
            operations, notes = plan.operations, notes + plan.notes
        fresh = [note for note in notes if note not in self._told]
        self._told.update(fresh)
        return operations, fresh

    def invalidate(self) -> None:
        self.source.invalidate()


class CustomCheck:
    """Validates a ``--query`` document against the server's full schema before it is sent."""

    def __init__(self, operation: Operation) -> None:
        self._operation = operation
        self._checked = False

    async def __call__(self, ask: Ask) -> tuple[list[Operation], list[str]]:
        if self._checked:
            return [self._operation], []
        self._checked = True
        from graphql import build_client_schema, get_introspection_query, parse, validate  # only for --query
        from graphql.error import GraphQLError

        try:
            whole = Operation(label="introspection", document=get_introspection_query(), operation_name="IntrospectionQuery")
            data = await ask(whole)
            client_schema = build_client_schema(data)
        except (IncidentsError, TypeError, ValueError, GraphQLError):
            return [self._operation], ["could not read the server's schema to check --query; sending it as it is"]
        try:
            document = parse(self._operation.document)
        except GraphQLError as error:
            raise OperationRejected(f"the --query document is not valid GraphQL: {error.message}") from None
        errors = validate(client_schema, document)
        if errors:
            said = "; ".join(e.message for e in errors[:3])
            raise OperationRejected(f"the --query document does not fit the server's schema: {said}")
        return [self._operation], []

    def invalidate(self) -> None:
        pass  # a custom document is the user's: a rejection of it is final


def schema_source(url: str, environ: Mapping[str, str]) -> SchemaSource:
    return SchemaSource(url, cache_dir(environ))


async def documents_for(ask: Ask, url: str, environ: Mapping[str, str], *, fresh: bool = False) -> Documents:
    """The documents of a one-off command, fitted to the server's schema (``fresh``: never a
    cached one, as an action decides from it)."""
    source = schema_source(url, environ)
    await source.load(ask, fresh=fresh)
    return Documents(source)


def adaptation(
    url: str, *, streams: tuple[str, ...], severities: tuple[str, ...], custom: Operation | None, environ: Mapping[str, str],
    incident_ids: tuple[str, ...] = (), states: frozenset[str] = frozenset(),
) -> tuple[Planner | CustomCheck | None, Documents | None]:
    """(planner, documents) for a watch: built-in streams rebuilt from the server's schema on
    each connection (``states``: its --state, checked against it), or a custom document checked
    against it before it is sent."""
    if custom is not None:
        return CustomCheck(custom), None
    source = schema_source(url, environ)
    return Planner(source, streams, severities, incident_ids, states), Documents(source)
