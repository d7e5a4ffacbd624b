"""The server's records, parsed: incidents, updates, state changes and alerts as values,
their times, and GraphQL errors' messages and codes. Tolerant of schema drift (API.md):
unknown enum values stay strings, ``labels`` may be a map or a key/value list, nulls never
crash, and a field of the wrong type is treated as missing. Pure.
"""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from incident_cli.values import frozen, made

DONE_STATES = frozenset({"RESOLVED", "CLOSED"})  # in every schema variant seen (API.md)


def parse_time(text: object) -> datetime | None:
    """Server timestamps: ``Z`` or ``+00:00``, any fraction; None when unparseable or not text."""
    return _parsed_time(text) if isinstance(text, str) and text else None


@lru_cache(maxsize=4096)  # an incident's times come again with each of its events; parsing is 2-3 µs
def _parsed_time(text: str) -> datetime | None:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # fromisoformat takes at most 6 fractional digits: trim nanoseconds.
    head, dot, rest = value.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _stamp(value: Any) -> str | None:
    """Timestamps in one form (UTC, ``Z``, microseconds) whatever the server wrote; else as sent."""
    text = _text(value)
    if text is not None and len(text) <= 27 and text[-1:] == "Z" and _utc_second(text[:19]):
        fraction = text[20:-1] if text[19:20] == "." else ""
        if len(text) == 20 or (fraction.isdigit() and fraction.isascii()):
            return f"{text[:19]}.{fraction:0<6}Z"  # already UTC, to the microsecond at most: only padded
    parsed = parse_time(text)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z") if parsed else text


@lru_cache(maxsize=4096)
def _utc_second(head: str) -> bool:
    """Is ``head`` a date and time to the second (``YYYY-MM-DDTHH:MM:SS``)? Asked once per second
    of server time, not per event: parsing each update's time was half of making it (issue 16)."""
    return len(head) == 19 and head[10] == "T" and head.isascii() and parse_time(head + "Z") is not None


# ---- parsed records --------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value  # nearly always: one check
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    texts = [_text(item) for item in value]
    if None in texts:
        return tuple(text for text in texts if text is not None)
    return tuple(cast(list[str], texts))  # strings all: one copy, no filter (the table reads every incident)


text = _text  # a server's scalar as text (None for null, objects and lists): the hot path calls it as is
strings = _strings  # a server's list of scalars as texts (empty for anything else)


def normalise_labels(value: Any) -> dict[str, str]:
    """Labels as one map, whether the server sends a map or a list of ``{key, value}``."""
    if isinstance(value, dict):  # a JSON object's keys are strings
        return {key if type(key) is str else str(key): _text(item) or "" for key, item in value.items()}
    if isinstance(value, list):
        labels: dict[str, str] = {}
        for item in value:
            if isinstance(item, dict) and _text(item.get("key")) is not None:
                labels[str(item["key"])] = _text(item.get("value")) or ""
        return labels
    return {}


@frozen
class Incident:
    """An incident's parsed fields, for the human views."""

    id: str | None
    title: str | None = None
    description: str | None = None
    severity: str | None = None
    state: str | None = None
    incident_type: str | None = None
    source: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    resolved_at: str | None = None
    assigned_to: str | None = None
    affected_resources: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Incident:
        # Made without __init__ (every field given, each checked here): the table parses every
        # incident event, up to 10,000 a second in a storm (issue 16).
        return made(
            cls,
            id=_text(data.get("id")),
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            severity=_text(data.get("severity")),
            state=_text(data.get("state")),
            incident_type=_text(data.get("incidentType")),
            source=_text(data.get("source")),
            created_at=_stamp(data.get("createdAt")),
            updated_at=_stamp(data.get("updatedAt")),
            resolved_at=_stamp(data.get("resolvedAt")),
            assigned_to=_text(data.get("assignedTo")),
            affected_resources=_strings(data.get("affectedResources")),
            labels=normalise_labels(data.get("labels")),
        )


@frozen
class IncidentUpdate:
    """An update's parsed fields: its type, incident and time."""

    update_type: str | None
    incident_id: str | None
    timestamp: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> IncidentUpdate:
        return made(
            cls,
            update_type=_text(data.get("updateType")),
            incident_id=_text(data.get("incidentId")),
            timestamp=_stamp(data.get("timestamp")),
        )


@frozen
class StateChange:
    """A state change's parsed fields: from, to, by whom and when."""

    incident_id: str | None
    old_state: str | None
    new_state: str | None
    changed_by: str | None
    timestamp: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StateChange:
        return made(
            cls,
            incident_id=_text(data.get("incidentId")),
            old_state=_text(data.get("oldState")),
            new_state=_text(data.get("newState")),
            changed_by=_text(data.get("changedBy")),
            timestamp=_stamp(data.get("timestamp")),
        )


@frozen
class Alert:
    """An alert's parsed fields."""

    id: str | None
    source: str | None
    title: str | None
    severity: str | None
    status: str | None
    received_at: str | None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=_text(data.get("id")),
            source=_text(data.get("source")),
            title=_text(data.get("title")),
            severity=_text(data.get("severity")),
            status=_text(data.get("status")),
            received_at=_stamp(data.get("receivedAt")),
        )


def error_messages(errors: Any) -> tuple[str, ...]:
    """The ``message`` of each GraphQL error, whatever shape the list has."""
    if isinstance(errors, dict):
        errors = [errors]
    if not isinstance(errors, list | tuple):
        return ()
    messages = []
    for item in errors:
        message = item.get("message") if isinstance(item, dict) else item
        messages.append(str(message) if message is not None else "unknown error")
    return tuple(messages)


def error_codes(errors: Any) -> tuple[str, ...]:
    """The ``extensions.code`` of each GraphQL error that has one (API.md, "Error codes")."""
    if isinstance(errors, dict):
        errors = [errors]
    codes = []
    for item in errors if isinstance(errors, list | tuple) else ():
        extensions = item.get("extensions") if isinstance(item, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if isinstance(code, str):
            codes.append(code)
    return tuple(codes)
