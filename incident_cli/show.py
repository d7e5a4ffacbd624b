"""`incidents show ID`: one incident, by its whole id or a unique start of it.

The server's ``incident(id)`` takes a whole id, so a start of one is looked for among the
active incidents (as a short git hash is among the objects); a whole id is asked for
directly, which also finds resolved and closed incidents. The documents are fitted to the
server's schema, as the watch's are, so a drifted server answers too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from incident_cli.check import Ask, one_off
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import Documents, documents_for
from incident_cli.errors import NotFound, OperationRejected, UsageError
from incident_cli.operations import DETAIL_FIELDS
from incident_cli.sanitize import sanitize

WHOLE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
SHOWN_CANDIDATES = 5  # ids named when a start is ambiguous


async def find_incident(
    config: SessionConfig, credentials: Credentials, wanted: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The incident's data as the server describes it (in the reference API's field names)."""
    async with one_off(config, credentials) as ask:
        # In full: who has it, its timeline and resolution, where the server has them.
        return (await find_many(ask, await documents_for(ask, config.url, environ), [wanted], "show", DETAIL_FIELDS))[0]


async def find_incidents(
    config: SessionConfig, credentials: Credentials, wanted: list[str], environ: Mapping[str, str], command: str
) -> list[dict[str, Any]]:
    """Several incidents, by whole ids or starts of them, over one connection (find_many)."""
    async with one_off(config, credentials) as ask:
        return await find_many(ask, await documents_for(ask, config.url, environ), wanted, command)


async def find_many(
    ask: Ask, documents: Documents, wanted: list[str], command: str, fields: str | None = None
) -> list[dict[str, Any]]:
    """Each wanted incident's data, in the order asked (each once): whole ids asked for
    directly, starts of ids looked for among the active incidents, then (for those still
    missing) among the resolved and closed ones too (``fields``: each described with these,
    one query each, where the list's own fields are not enough). UsageError for an empty or
    ambiguous one, NotFound naming the first that no incident has."""
    keys = list(dict.fromkeys(item.strip() for item in wanted))
    if not keys or not all(keys):
        raise UsageError(f"{command} needs an incident id, or the start of one")
    found: dict[str, dict[str, Any]] = {}
    for key in keys:
        if WHOLE_ID.match(key):
            incident = await lookup(ask, documents, key, fields)
            if incident is not None:
                found[key] = incident
    seen = 0
    for active_only in (True, False):
        starts = [key for key in keys if key not in found]
        if not starts:
            break
        starting, seen = await _starting(ask, documents, starts, active_only)
        for key in starts:
            chosen = choose(starting[key], key)
            if chosen is None and not active_only and not WHOLE_ID.match(key):
                chosen = await lookup(ask, documents, key, fields)  # a server whose ids are no UUIDs: it may be whole
            elif chosen is not None and fields is not None:
                chosen = await lookup(ask, documents, str(chosen.get("id")), fields) or chosen
            if chosen is not None:
                found[key] = chosen
    for key in keys:
        if key not in found:
            raise NotFound(f"no incident {sanitize(key, max_length=60)!r}: none of the {seen:,} incidents "
                           "has an id that starts so, and the server knows no incident with that id")
    return [found[key] for key in keys]


async def _starting(
    ask: Ask, documents: Documents, starts: list[str], active_only: bool
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The listed incidents whose ids start with each of ``starts``, and how many were listed:
    every page, keeping only those, so memory stays flat however long the list."""
    starting: dict[str, list[dict[str, Any]]] = {key: [] for key in starts}
    folded = [(key, key.casefold()) for key in starts]
    seen = 0
    async for page in documents.pages(ask, active_only=active_only):
        seen += len(page)
        for item in page:
            item_id = str(item.get("id") or "").casefold()
            for key, prefix in folded:
                if item_id.startswith(prefix):
                    starting[key].append(item)
    return starting, seen


def choose(incidents: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    """The one incident whose id is ``wanted`` or starts with it; a usage error when several do."""
    key = wanted.casefold()
    starts = [item for item in incidents if str(item.get("id") or "").casefold().startswith(key)]
    exact = [item for item in starts if str(item.get("id")).casefold() == key]
    if exact or len(starts) == 1:
        return (exact or starts)[0]
    if starts:
        named = ", ".join(sanitize(str(item.get("id")), max_length=40) for item in starts[:SHOWN_CANDIDATES])
        more = f" and {len(starts) - SHOWN_CANDIDATES} more" if len(starts) > SHOWN_CANDIDATES else ""
        raise UsageError(f"{len(starts)} incidents have ids that start with {sanitize(wanted, max_length=60)!r} "
                         f"({named}{more}): give more of the id")
    return None


async def lookup(ask: Ask, documents: Documents, incident_id: str, fields: str | None = None) -> dict[str, Any] | None:
    operation = documents.incident(incident_id, fields)
    if operation is None:
        return None
    try:
        data = await ask(operation)
    except OperationRejected:
        return None  # "not a valid UUID", "not found": the same answer to the user
    incident = data.get("incident") if isinstance(data, dict) else None
    return incident if isinstance(incident, dict) else None
