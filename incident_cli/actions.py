"""Acting on incidents: what each action sends, when it has nothing to do, and how to tell,
by reading the incident back, whether an action whose answer was lost took effect. Pure:
``act.py`` does the I/O (API.md, "Mutations: acting on an incident").
"""

from __future__ import annotations

from typing import Any

from incident_cli.errors import Unavailable, UsageError
from incident_cli.model import DONE_STATES
from incident_cli.operations import DETAIL_FIELDS, INCIDENT_FIELDS, SEVERITIES, Operation, document
from incident_cli.sanitize import sanitize
from incident_cli.schema import SchemaView
from incident_cli.values import frozen

ACTED_FIELDS = DETAIL_FIELDS
METHODS = {"manual": "MANUAL", "automated": "AUTOMATED", "assisted": "AUTO_ASSISTED_MANUAL"}
VERBS = {"ack": "acknowledged", "assign": "assigned", "comment": "commented on", "escalate": "escalated",
         "resolve": "resolved"}
PROGRESS = {"ack": "acknowledging", "assign": "assigning", "comment": "commenting on", "escalate": "escalating",
            "resolve": "resolving"}
# Where each action goes: the mutation, its id argument, and a fallback through updateIncident.
MUTATIONS = {"ack": "updateIncident", "assign": "assignIncident", "comment": "addComment",
             "escalate": "escalateIncident", "resolve": "resolveIncident"}


@frozen
class Action:
    """One action as the user asked for it (the same for every incident it applies to)."""

    kind: str  # ack, assign, comment, escalate, resolve
    assignees: tuple[str, ...] = ()
    comment: str | None = None
    severity: str | None = None
    reason: str | None = None
    notes: str | None = None
    root_cause: str | None = None
    method: str = "manual"
    force: bool = False  # escalate to a lower severity; take from someone else


def first_states(view: SchemaView | None) -> tuple[str, str]:
    """The server's first state and the one an acknowledgement moves to: the first two values
    of its IncidentState (NEW -> INVESTIGATING, DETECTED -> TRIAGED), never one spelling."""
    states = view.enums.get("IncidentState") if view is not None else None
    if not states or len(states) < 2:
        return "NEW", "INVESTIGATING"
    return states[0], states[1]


def owners(incident: dict[str, Any]) -> tuple[str, ...]:
    """Who has it: ``assignees`` where the server has them, else ``assignedTo``."""
    listed = incident.get("assignees")
    if isinstance(listed, list):
        return tuple(str(name) for name in listed if name)
    one = incident.get("assignedTo")
    return (str(one),) if one else ()


def nothing_to_do(action: Action, incident: dict[str, Any], view: SchemaView | None) -> str | None:
    """Why acting on ``incident`` would change nothing (said, status 0), or None."""
    state = incident.get("state")
    if action.kind == "ack":
        first, _ = first_states(view)
        if state != first:
            return f"already {_text(state)}: acknowledging moves only out of {first}"
    if action.kind == "resolve" and state in DONE_STATES:
        return f"already {_text(state)}"
    if action.kind == "assign" and set(owners(incident)) == set(action.assignees):
        return f"already assigned to {', '.join(_text(name) for name in action.assignees)}"
    if action.kind == "escalate" and incident.get("severity") == action.severity:
        return f"already {action.severity}"
    return None


def refusal(action: Action, incident: dict[str, Any], me: str | None) -> str | None:
    """Why acting needs --force (or a yes on a terminal): a lower severity, someone else's incident."""
    if action.kind == "escalate" and not action.force:
        now, wanted = incident.get("severity"), action.severity
        if now in SEVERITIES and wanted in SEVERITIES and SEVERITIES.index(wanted) > SEVERITIES.index(now):
            return f"{wanted} is lower than its {now}: escalate raises a severity (--force to lower it)"
    if action.kind == "assign" and not action.force:
        others = [name for name in owners(incident) if name not in action.assignees and name != me]
        if others:
            return f"it is {', '.join(_text(name) for name in others)}'s (--force to take it over)"
    return None


def mutation(action: Action, incident_id: str, view: SchemaView | None) -> Operation:
    """The mutation for ``action`` on one incident, fitted to the server's schema; Unavailable
    naming the mutation when the server has none for it."""
    mutations = view.mutations if view is not None else {}
    name = MUTATIONS[action.kind]
    if action.kind == "assign" and name not in mutations and "updateIncident" in mutations:
        name = "updateIncident"  # replaces the assignees too
    spec = mutations.get(name)
    if spec is None:
        raise Unavailable(f"this server has no {name} mutation, so it cannot {action.kind} incidents")
    variables = _arguments(action, name, incident_id, view)
    missing = [key for key in variables if key not in spec.args]
    if missing:
        raise Unavailable(f"this server's {name} takes no {missing[0]!r} argument")
    selection = view.selection(spec.type.named().name, ACTED_FIELDS) if view is not None else INCIDENT_FIELDS
    label = action.kind.capitalize()
    return Operation(
        label=name,
        document=document("mutation", label, name, selection, {key: spec.args[key].render() for key in variables}),
        variables=variables,
        operation_name=label,
    )


def _arguments(action: Action, name: str, incident_id: str, view: SchemaView | None) -> dict[str, Any]:
    if name == "updateIncident":
        if action.kind == "ack":
            return {"id": incident_id, "input": {"state": first_states(view)[1]}}
        return {"id": incident_id, "input": {"assignees": list(action.assignees)}}
    if name == "assignIncident":
        return {"incidentId": incident_id, "assignees": list(action.assignees)}
    if name == "addComment":
        return {"incidentId": incident_id, "comment": action.comment}
    if name == "escalateIncident":
        return {"incidentId": incident_id, "newSeverity": action.severity, "reason": action.reason}
    resolution: dict[str, Any] = {"method": METHODS[action.method], "notes": action.notes}
    if action.root_cause:
        resolution["rootCause"] = action.root_cause
    return {"id": incident_id, "input": resolution}


def took_effect(action: Action, before: dict[str, Any], after: dict[str, Any] | None) -> bool | None:
    """Read back after an answer was lost: did the action happen (True), not (False), or
    cannot the incident tell (None: a comment on a server without a timeline)?"""
    if after is None:
        return None
    if action.kind == "ack":
        return after.get("state") != before.get("state")
    if action.kind == "resolve":
        return after.get("state") in DONE_STATES
    if action.kind == "assign":
        return set(owners(after)) == set(action.assignees)
    if action.kind == "escalate":
        return after.get("severity") == action.severity
    timeline = after.get("timeline")
    if not isinstance(timeline, list):
        return None
    said = [item for item in timeline if isinstance(item, dict) and item.get("eventType") == "COMMENT_ADDED"]
    return sum(1 for item in said if item.get("description") == action.comment) > _comments(before, action.comment)


def _comments(incident: dict[str, Any], text: str | None) -> int:
    timeline = incident.get("timeline")
    return sum(1 for item in timeline if isinstance(item, dict) and item.get("eventType") == "COMMENT_ADDED"
               and item.get("description") == text) if isinstance(timeline, list) else 0


def done_line(action: Action, before: dict[str, Any], after: dict[str, Any]) -> str:
    """``acknowledged 3f2a91c0 payments: disk almost full (P1) NEW -> INVESTIGATING``."""
    head = f"{VERBS[action.kind]} {name_of(after or before)}"
    if action.kind in ("ack", "resolve"):
        return f"{head} {_text(before.get('state'))} -> {_text(after.get('state'))}"
    if action.kind == "escalate":
        return f"{head} {_text(before.get('severity'))} -> {_text(after.get('severity'))}"
    if action.kind == "assign":
        return f"{head} to {', '.join(_text(name) for name in owners(after)) or 'nobody'}"
    return head


def name_of(incident: dict[str, Any]) -> str:
    """``3f2a91c0 payments: disk almost full (P1)``, sanitised: titles are the server's text."""
    return f"{_text(incident.get('id'))[:8]} {_text(incident.get('title'), 80)} ({_text(incident.get('severity'))})"


def confirmation(action: Action, count: int) -> str | None:
    """The question to ask before sending, or None: resolve, escalate and bulk actions ask."""
    if action.kind in ("resolve", "escalate") or count > 1:
        what = "incident" if count == 1 else "incidents"
        return f"{action.kind.capitalize()} {count} {what}?"
    return None


def me_from(claims: dict[str, Any] | None) -> str | None:
    """Who a token stands for: its ``email``, ``preferred_username`` or ``sub`` claim."""
    for claim in ("email", "preferred_username", "sub"):
        value = (claims or {}).get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def checked_severity(value: str) -> str:
    wanted = value.strip().upper()
    if wanted not in SEVERITIES:
        raise UsageError(f"unknown severity {sanitize(value, max_length=20)!r}: choose one of {', '.join(SEVERITIES)}")
    return wanted


def _text(value: Any, width: int = 40) -> str:
    return sanitize(str(value), max_length=width) if value is not None else "-"
