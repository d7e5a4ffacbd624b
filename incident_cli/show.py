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
from incident_cli.driver.schema_source import Documents, schema_source
from incident_cli.errors import NotFound, OperationRejected, UsageError
from incident_cli.sanitize import sanitize

WHOLE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
SHOWN_CANDIDATES = 5  # ids named when a start is ambiguous


async def find_incident(
    config: SessionConfig, credentials: Credentials, wanted: str, environ: Mapping[str, str]
) -> dict[str, Any]:
    """The incident's data as the server describes it (in the reference API's field names)."""
    wanted = wanted.strip()
    if not wanted:
        raise UsageError("show needs an incident id, or the start of one")
    async with one_off(config, credentials) as ask:
        source = schema_source(config.url, environ)
        await source.load(ask)
        documents = Documents(source)
        if WHOLE_ID.match(wanted):
            found = await _lookup(ask, documents, wanted)
            if found is not None:
                return found
        # Every page, keeping only the ids that start so: memory stays flat however long the list.
        key, seen, starting = wanted.casefold(), 0, []
        async for page in documents.pages(ask):
            seen += len(page)
            starting += [item for item in page if str(item.get("id") or "").casefold().startswith(key)]
        chosen = choose(starting, wanted)
        if chosen is not None:
            return chosen
        if not WHOLE_ID.match(wanted):  # a server whose ids are no UUIDs: the whole id may still be one
            found = await _lookup(ask, documents, wanted)
            if found is not None:
                return found
    raise NotFound(f"no incident {sanitize(wanted, max_length=60)!r}: none of the {seen:,} active incidents "
                   "has an id that starts so, and the server knows no incident with that id")


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


async def _lookup(ask: Ask, documents: Documents, incident_id: str) -> dict[str, Any] | None:
    operation = documents.incident(incident_id)
    if operation is None:
        return None
    try:
        data = await ask(operation)
    except OperationRejected:
        return None  # "not a valid UUID", "not found": the same answer to the user
    incident = data.get("incident") if isinstance(data, dict) else None
    return incident if isinstance(incident, dict) else None
