"""The incident server's schema (API.md), executable with graphql-core over the simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, build_schema
from graphql.language import StringValueNode

from incident_cli.demo import mutations as acting
from incident_cli.demo.simulator import ACTIVE_STATES, Simulator

SDL = """
scalar UUID
scalar DateTime
scalar JSON

enum Severity { P0 P1 P2 P3 P4 }
enum IncidentState { NEW INVESTIGATING IDENTIFIED MONITORING RESOLVED CLOSED }
enum IncidentType { AVAILABILITY PERFORMANCE SECURITY DATA_INTEGRITY CAPACITY CONFIGURATION OTHER }
enum IncidentUpdateType { CREATED UPDATED STATE_CHANGED RESOLVED ASSIGNED COMMENT_ADDED HEARTBEAT }

type Incident {
  id: UUID!
  title: String!
  description: String
  severity: Severity!
  state: IncidentState!
  incidentType: IncidentType
  source: String
  createdAt: DateTime!
  updatedAt: DateTime
  resolvedAt: DateTime
  assignedTo: String
  affectedResources: [String!]!
  labels: JSON
  metadata: JSON
}

type IncidentUpdate { updateType: IncidentUpdateType! incidentId: UUID timestamp: DateTime! }

type IncidentStateChange {
  incidentId: UUID!
  oldState: IncidentState!
  newState: IncidentState!
  changedBy: String!
  timestamp: DateTime!
}

type Alert {
  id: UUID!
  externalId: String
  source: String!
  title: String!
  description: String
  severity: Severity!
  alertType: String
  labels: JSON
  affectedServices: [String!]!
  runbookUrl: String
  annotations: JSON
  receivedAt: DateTime!
  status: String!
}

type PageInfo { page: Int! pageSize: Int! totalCount: Int! hasNextPage: Boolean! }
type IncidentConnection { incidents: [Incident!]! pageInfo: PageInfo! }

input IncidentFilter { states: [IncidentState!] severities: [Severity!] sources: [String!] activeOnly: Boolean }
input PaginationInput { page: Int pageSize: Int }
input SortInput { field: String descending: Boolean }

type Query {
  incident(id: UUID!): Incident
  incidents(filter: IncidentFilter, pagination: PaginationInput, sort: SortInput): IncidentConnection!
  activeIncidents(pagination: PaginationInput): IncidentConnection!
  criticalIncidents(pagination: PaginationInput): IncidentConnection!
}

type Subscription {
  criticalIncidents: Incident!
  newIncidents(severities: [Severity!]): Incident!
  incidentUpdates(incidentIds: [UUID!], severities: [Severity!], activeOnly: Boolean): IncidentUpdate!
  incidentStateChanges(incidentId: UUID): IncidentStateChange!
  alerts(sources: [String!]): Alert!
}
"""

MAX_PAGE_SIZE = 100
VARIANTS = ("reference", "drifted")

# The server implementation's schema as API.md describes it ("Schema drift"): other enum
# values, labels as key/value objects, no criticalIncidents, no severities on newIncidents.
DRIFTED_STATES = {"NEW": "DETECTED", "INVESTIGATING": "INVESTIGATING", "IDENTIFIED": "TRIAGED",
                  "MONITORING": "REMEDIATING", "RESOLVED": "RESOLVED", "CLOSED": "CLOSED"}
DRIFTED_TYPES = {"AVAILABILITY": "INFRASTRUCTURE", "PERFORMANCE": "APPLICATION", "SECURITY": "SECURITY",
                 "DATA_INTEGRITY": "DATA", "CAPACITY": "INFRASTRUCTURE", "CONFIGURATION": "APPLICATION"}


def sdl(variant: str = "reference") -> str:
    if variant == "reference":
        return SDL
    text = SDL.replace(
        "enum IncidentState { NEW INVESTIGATING IDENTIFIED MONITORING RESOLVED CLOSED }",
        "enum IncidentState { DETECTED TRIAGED INVESTIGATING REMEDIATING RESOLVED CLOSED }",
    ).replace(
        "enum IncidentType { AVAILABILITY PERFORMANCE SECURITY DATA_INTEGRITY CAPACITY CONFIGURATION OTHER }",
        "enum IncidentType { INFRASTRUCTURE APPLICATION SECURITY DATA NETWORK UNKNOWN }\n"
        "type Label { key: String! value: String! }",
    ).replace("  labels: JSON\n  metadata: JSON", "  labels: [Label!]!\n  metadata: JSON")
    text = text.replace(
        "  criticalIncidents: Incident!\n  newIncidents(severities: [Severity!]): Incident!", "  newIncidents: Incident!"
    )
    return text


def _parse_uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise GraphQLError(f"invalid UUID: {str(value)[:60]}") from None


def _parse_uuid_literal(node: Any, _variables: Any = None) -> str:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("a UUID must be a string")
    return _parse_uuid(node.value)


def _page(items: list[dict[str, Any]], pagination: dict[str, Any] | None) -> dict[str, Any]:
    pagination = pagination or {}
    page = max(1, pagination.get("page") or 1)
    size = min(MAX_PAGE_SIZE, max(1, pagination.get("pageSize") or 20))
    ordered = sorted(items, key=lambda incident: (incident["severity"], incident["createdAt"]))
    chunk = ordered[(page - 1) * size : page * size]
    return {
        "incidents": chunk,
        "pageInfo": {
            "page": page,
            "pageSize": size,
            "totalCount": len(ordered),
            "hasNextPage": page * size < len(ordered),
        },
    }


def executable_schema(
    sim: Simulator, variant: str = "reference", *, mutations: bool = True, forbidden: bool = False,
    applied: Callable[[str], None] = lambda _name: None,
) -> GraphQLSchema:
    """Bind resolvers to the SDL: queries read the store, subscriptions listen on the hub,
    mutations (unless ``mutations`` is False) change the store and publish (mutations.py)."""
    schema = build_schema(sdl(variant) + (acting.SDL if mutations else acting.FIELDS_ONLY))
    uuid_type = schema.type_map["UUID"]
    # graphql-core 3.2 calls parse_*, 3.3 coerce_input_*: set both so a bad UUID is a
    # GraphQL error on either, as on a real server.
    for name, parser in (
        ("parse_value", _parse_uuid),
        ("parse_literal", _parse_uuid_literal),
        ("coerce_input_value", _parse_uuid),
        ("coerce_input_literal", _parse_uuid_literal),
    ):
        setattr(uuid_type, name, parser)

    _resolve_queries(schema, sim)
    _resolve_subscriptions(schema, sim)
    states = {v: k for k, v in DRIFTED_STATES.items()} if variant == "drifted" else {}
    acting.bind(schema, sim, states=states, forbidden=forbidden, applied=applied)
    if variant == "drifted":
        _drift(schema)
    return schema


def _resolve_queries(schema: GraphQLSchema, sim: Simulator) -> None:
    """Queries read the simulator's store."""
    assert schema.query_type is not None  # in the SDL above
    query = schema.query_type.fields
    query["incident"].resolve = lambda _root, _info, id: sim.incidents.get(id)

    def incidents(
        _root: Any, _info: Any, filter: dict[str, Any] | None = None, pagination: dict[str, Any] | None = None, sort: Any = None
    ) -> dict[str, Any]:
        filter = filter or {}
        chosen = list(sim.incidents.values())
        if filter.get("activeOnly"):
            chosen = [i for i in chosen if i["state"] in ACTIVE_STATES]
        for key, field in (("states", "state"), ("severities", "severity"), ("sources", "source")):
            if filter.get(key) is not None:
                chosen = [i for i in chosen if i[field] in filter[key]]
        return _page(chosen, pagination)

    query["incidents"].resolve = incidents
    query["activeIncidents"].resolve = lambda _r, _i, pagination=None: _page(sim.active(), pagination)
    query["criticalIncidents"].resolve = lambda _r, _i, pagination=None: _page(
        [i for i in sim.active() if i["severity"] in ("P0", "P1")], pagination
    )


def _resolve_subscriptions(schema: GraphQLSchema, sim: Simulator) -> None:
    """Subscriptions listen on the simulator's hub, each filtered as its arguments ask."""
    assert schema.subscription_type is not None  # in the SDL above
    hub = sim.hub
    subscription = schema.subscription_type.fields

    def listen(topic: str, keep: Callable[[dict[str, Any]], bool] = lambda _: True) -> Callable[..., AsyncIterator[Any]]:
        async def generator(_root: Any, _info: Any, **_args: Any) -> AsyncIterator[Any]:
            async for payload in hub.listen(topic, keep):
                yield payload

        return generator

    def critical(_root: Any, info: Any) -> AsyncIterator[Any]:
        return listen("incident", lambda i: i["severity"] in ("P0", "P1"))(_root, info)

    def new_incidents(_root: Any, info: Any, severities: list[str] | None = None) -> AsyncIterator[Any]:
        return listen("incident", lambda i: severities is None or i["severity"] in severities)(_root, info)

    def updates(
        _root: Any, info: Any, incidentIds: Any = None, severities: Any = None, activeOnly: Any = None
    ) -> AsyncIterator[Any]:
        def keep(update: dict[str, Any]) -> bool:
            if update["incidentId"] is None:
                return True  # heartbeats reach every subscriber
            if incidentIds is not None and update["incidentId"] not in incidentIds:
                return False
            if severities is not None and update["_severity"] not in severities:
                return False
            return not (activeOnly and update["_state"] not in ACTIVE_STATES)

        return listen("update", keep)(_root, info)

    def state_changes(_root: Any, info: Any, incidentId: str | None = None) -> AsyncIterator[Any]:
        return listen("state_change", lambda c: incidentId is None or c["incidentId"] == incidentId)(_root, info)

    def alerts(_root: Any, info: Any, sources: list[str] | None = None) -> AsyncIterator[Any]:
        return listen("alert", lambda a: sources is None or a["source"] in sources)(_root, info)

    for name, subscribe in (
        ("criticalIncidents", critical),
        ("newIncidents", new_incidents),
        ("incidentUpdates", updates),
        ("incidentStateChanges", state_changes),
        ("alerts", alerts),
    ):
        if name in subscription:
            subscription[name].subscribe = subscribe
            subscription[name].resolve = lambda payload, _info, **_args: payload


def _drift(schema: GraphQLSchema) -> None:
    """Serve the store's reference values in the drifted variant's shapes."""
    incident = cast(GraphQLObjectType, schema.type_map["Incident"]).fields
    incident["state"].resolve = lambda obj, _info: DRIFTED_STATES.get(obj["state"], obj["state"])
    incident["incidentType"].resolve = lambda obj, _info: DRIFTED_TYPES.get(obj["incidentType"], "UNKNOWN")
    incident["labels"].resolve = lambda obj, _info: [{"key": k, "value": v} for k, v in (obj.get("labels") or {}).items()]
    change = cast(GraphQLObjectType, schema.type_map["IncidentStateChange"]).fields
    change["oldState"].resolve = lambda obj, _info: DRIFTED_STATES.get(obj["oldState"], obj["oldState"])
    change["newState"].resolve = lambda obj, _info: DRIFTED_STATES.get(obj["newState"], obj["newState"])
