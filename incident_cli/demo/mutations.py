"""The demo's mutations (API.md, "Mutations: acting on an incident") and the richer incident
fields they fill: ``assignees``, ``timeline``, ``resolution``.

Each change is applied to the simulator's store and published on its streams, as the
server does, so a client sees its own action arrive. The actor is the token's user
(``info.context["actor"]``). Failures are GraphQL errors with ``extensions.code``:
FORBIDDEN for a user who may not act, BAD_USER_INPUT for an unknown id or a move the
workflow does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema

from incident_cli.demo.simulator import LIFECYCLE, Simulator, now_iso

SDL = """
enum ResolutionMethod { AUTOMATED MANUAL AUTO_ASSISTED_MANUAL }
type KeyValue { key: String! value: String! }
type TimelineEvent { timestamp: DateTime! eventType: String! actor: String description: String metadata: [KeyValue!]! }
type Resolution {
  resolvedAt: DateTime resolvedBy: String resolutionMethod: ResolutionMethod rootCause: String notes: String
}
extend type Incident { assignees: [String!]! timeline: [TimelineEvent!]! resolution: Resolution }
input UpdateIncidentInput { state: IncidentState assignees: [String!] addLabels: JSON removeLabels: [String!] }
input ResolveIncidentInput { method: ResolutionMethod! notes: String! rootCause: String }
type Mutation {
  updateIncident(id: UUID!, input: UpdateIncidentInput!): Incident!
  assignIncident(incidentId: UUID!, assignees: [String!]!): Incident!
  addComment(incidentId: UUID!, comment: String!): Incident!
  escalateIncident(incidentId: UUID!, newSeverity: Severity!, reason: String!): Incident!
  resolveIncident(id: UUID!, input: ResolveIncidentInput!): Incident!
}
"""

# The richer fields alone, for a server that has them but no mutations.
FIELDS_ONLY = SDL[: SDL.index("input UpdateIncidentInput")]

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")
MAX_COMMENT = 10_000


def bind(schema: GraphQLSchema, sim: Simulator, *, states: dict[str, str], forbidden: bool,
         applied: Callable[[str], None]) -> None:
    """Resolvers for the fields and mutations. ``states``: the schema's state names -> the
    store's (the drifted variant names them otherwise); ``forbidden``: every actor is refused;
    ``applied``: told the name of each mutation that changed the store (tests count them)."""
    incident = cast(GraphQLObjectType, schema.type_map["Incident"]).fields
    incident["assignees"].resolve = lambda obj, _info: _assignees(obj)
    incident["timeline"].resolve = lambda obj, _info: _timeline(obj)
    incident["resolution"].resolve = lambda obj, _info: obj.get("resolution")
    if schema.mutation_type is None:
        return
    mutation = schema.mutation_type.fields

    def acting(name: str, change: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def resolve(_root: Any, info: Any, **args: Any) -> dict[str, Any]:
            if (info.context or {}).get("fail"):
                raise GraphQLError("internal error", extensions={"code": "INTERNAL_SERVER_ERROR"})  # nothing applied
            if forbidden:
                raise GraphQLError("you may not act on incidents", extensions={"code": "FORBIDDEN"})
            key = args.get("id") or args.get("incidentId")
            found = sim.incidents.get(str(key))
            if found is None:
                raise GraphQLError(f"no incident {key}", extensions={"code": "BAD_USER_INPUT"})
            actor = str((info.context or {}).get("actor") or "anonymous")
            result = change(sim, found, actor, **{k: v for k, v in args.items() if k not in ("id", "incidentId")})
            applied(name)
            return result

        return resolve

    changes: dict[str, Callable[..., dict[str, Any]]] = {
        "updateIncident": partial(_update, states=states), "assignIncident": _assign_incident, "addComment": _comment,
        "escalateIncident": _escalate, "resolveIncident": _resolve,
    }
    for name, change in changes.items():
        if name in mutation:
            mutation[name].resolve = acting(name, change)


def _update(sim: Simulator, found: dict[str, Any], actor: str, input: dict[str, Any], states: dict[str, str]) -> dict[str, Any]:
    if input.get("state") is not None:
        _move(sim, found, actor, states.get(input["state"], input["state"]))
    if input.get("assignees") is not None:
        _assign(sim, found, actor, list(input["assignees"]))
    labels = dict(found.get("labels") or {})
    labels.update({str(k): str(v) for k, v in (input.get("addLabels") or {}).items()})
    for key in input.get("removeLabels") or ():
        labels.pop(key, None)
    if labels != (found.get("labels") or {}):
        found["labels"] = labels
        sim.updated(found, "UPDATED")
    return found


def _assign_incident(sim: Simulator, found: dict[str, Any], actor: str, assignees: list[str]) -> dict[str, Any]:
    _assign(sim, found, actor, list(assignees))
    return found


def _comment(sim: Simulator, found: dict[str, Any], actor: str, comment: str) -> dict[str, Any]:
    if not comment.strip() or len(comment) > MAX_COMMENT:
        raise GraphQLError(f"a comment needs text, at most {MAX_COMMENT:,} characters", extensions={"code": "BAD_USER_INPUT"})
    _note(found, "COMMENT_ADDED", actor, comment)
    sim.updated(found, "COMMENT_ADDED")
    return found


def _escalate(sim: Simulator, found: dict[str, Any], actor: str, newSeverity: str, reason: str) -> dict[str, Any]:
    old = found["severity"]
    if newSeverity == old:
        raise GraphQLError(f"the incident is {old} already", extensions={"code": "BAD_USER_INPUT"})
    found["severity"] = newSeverity
    _note(found, "ESCALATED", actor, reason, {"oldSeverity": old, "newSeverity": newSeverity})
    sim.updated(found, "UPDATED")
    return found


def _resolve(sim: Simulator, found: dict[str, Any], actor: str, input: dict[str, Any]) -> dict[str, Any]:
    if found["state"] in ("RESOLVED", "CLOSED"):
        raise GraphQLError(f"the incident is {found['state'].lower()} already", extensions={"code": "BAD_USER_INPUT"})
    found["resolution"] = {"resolvedAt": now_iso(), "resolvedBy": actor, "resolutionMethod": input["method"],
                           "rootCause": input.get("rootCause"), "notes": input["notes"]}
    _move(sim, found, actor, "RESOLVED")
    return found


def _move(sim: Simulator, found: dict[str, Any], actor: str, new: str) -> None:
    """A state move: forward only, as the workflow allows."""
    old = found["state"]
    if new not in LIFECYCLE or LIFECYCLE.index(new) <= LIFECYCLE.index(old):
        raise GraphQLError(f"the workflow does not allow {old} -> {new}", extensions={"code": "BAD_USER_INPUT"})
    _note(found, "STATE_CHANGED", actor, f"{old} -> {new}")
    sim.move(found, new, actor)
    if new == "RESOLVED":
        _note(found, "RESOLVED", actor, (found.get("resolution") or {}).get("notes"))


def _assign(sim: Simulator, found: dict[str, Any], actor: str, assignees: list[str]) -> None:
    found["assignees"] = assignees
    found["assignedTo"] = assignees[0] if assignees else None
    _note(found, "ASSIGNMENT_CHANGED", actor, ", ".join(assignees) or "nobody")
    sim.updated(found, "ASSIGNED")


def _note(found: dict[str, Any], kind: str, actor: str, text: str | None, metadata: dict[str, str] | None = None) -> None:
    _timeline(found).append({"timestamp": now_iso(), "eventType": kind, "actor": actor, "description": text,
                             "metadata": [{"key": k, "value": v} for k, v in (metadata or {}).items()]})


def _assignees(found: dict[str, Any]) -> list[str]:
    if "assignees" in found:
        return list(found["assignees"])
    return [found["assignedTo"]] if found.get("assignedTo") else []


def _timeline(found: dict[str, Any]) -> list[dict[str, Any]]:
    if "timeline" not in found:
        found["timeline"] = [{"timestamp": found["createdAt"], "eventType": "CREATED", "actor": found.get("source"),
                              "description": None, "metadata": []}]
    return cast(list[dict[str, Any]], found["timeline"])
