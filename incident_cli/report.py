"""`incidents report`: the incidents a handover is made from, from the server or from a recording.

From the server: every incident its list query gives (resolved and closed ones too), with the
documents fitted to its schema. From a recording (``watch --record``): the last description of
each incident it saw, the states its changes reached, and the first assignment of each, which
the list queries cannot tell (so only a recording gives the time to acknowledge).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from incident_cli import model
from incident_cli.check import one_off
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import documents_for
from incident_cli.errors import UsageError
from incident_cli.recorded import Skipped

ASSIGNED_UNNAMED = "(assigned; who is not recorded)"


async def from_server(config: SessionConfig, credentials: Credentials, environ: Mapping[str, str]) -> list[model.Incident]:
    async with one_off(config, credentials) as ask:
        listed = await (await documents_for(ask, config.url, environ)).list_active(ask, active_only=False)
    if listed is None:
        raise UsageError("the server has no list query to report from; give --recording FILE instead")
    return [model.Incident.from_data(item) for item in listed]


def from_recording(
    lines: Iterable[tuple[int, str]], skipped: Skipped | None = None
) -> tuple[list[model.Incident], dict[str, datetime]]:
    """The incidents a recording's numbered lines saw (as last described, with the states reached
    since), and when each was first assigned; a line that is no record is skipped and counted."""
    described: dict[str, model.Incident] = {}
    assigned_at: dict[str, datetime] = {}
    skipped = skipped if skipped is not None else Skipped()
    for number, line in lines:
        try:
            record = json.loads(line)
            kind, data, when = record["kind"], record.get("data"), model.parse_time(record["received_at"])
        except (ValueError, KeyError, TypeError, RecursionError):
            skipped.add(number)
            continue
        incident_id = record.get("incident_id")
        if kind == "incident" and isinstance(data, dict):
            described[str(data.get("id"))] = model.Incident.from_data(data)
        elif kind == "state_change" and isinstance(data, dict) and incident_id in described:
            state = model.text(data.get("newState"))
            resolved = data.get("timestamp") if state in ("RESOLVED", "CLOSED") else None
            known = described[incident_id]
            described[incident_id] = dataclasses.replace(known, state=state, resolved_at=known.resolved_at or resolved)
        elif kind == "update" and isinstance(data, dict) and data.get("updateType") == "ASSIGNED" and incident_id:
            stamp = model.parse_time(data.get("timestamp")) or when
            if stamp is not None and incident_id not in assigned_at:
                assigned_at[incident_id] = stamp
            held = described.get(incident_id)
            if held is not None and held.assigned_to is None:  # an update names nobody: it is held, by someone
                described[incident_id] = dataclasses.replace(held, assigned_to=ASSIGNED_UNNAMED)
    return list(described.values()), assigned_at
