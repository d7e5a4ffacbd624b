"""What the server's schema offers, and the built-in documents rebuilt to fit it.

Deployed servers disagree with their own reference (API.md, "Schema drift"): enums differ,
``labels`` is a map here and a list of ``{key, value}`` there, a subscription or an
argument is missing. From an introspection result this module builds every built-in
document from what the server actually has: wanted fields that exist, sub-selections for
object-typed fields, arguments the server takes (filtering on the client otherwise), and
a fallback subscription when one is missing. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incident_cli import operations, streams
from incident_cli.operations import INCIDENT_FIELDS, Operation, client_severities, document, server_severities
from incident_cli.streams import STREAMS
from incident_cli.values import frozen

INTROSPECTION = """
query IncidentsSchema {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name
      fields { name args { name type { ...Ref } } type { ...Ref } }
      inputFields { name type { ...Ref } }
      enumValues { name }
    }
  }
}
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"""

# The reference API (API.md), to say how a server differs from it.
REFERENCE_SUBSCRIPTIONS = {stream.root: tuple(stream.arguments) for stream in STREAMS.values()}
REFERENCE_QUERIES = {
    "incident": ("id",),
    "incidents": ("filter", "pagination", "sort"),
    "activeIncidents": ("pagination",),
    "criticalIncidents": ("pagination",),
}
REFERENCE_ENUMS = {
    "Severity": streams.SEVERITIES,
    "IncidentState": ("NEW", "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "CLOSED"),
}
_FIELDS_OF = {spec.root: spec.fields for spec in STREAMS.values()}  # what each stream selects


@frozen(kw_only=False)
class TypeRef:
    """A type reference of the introspected schema."""

    kind: str
    name: str | None
    of_type: TypeRef | None = None

    @classmethod
    def parse(cls, data: Any) -> TypeRef:
        if not isinstance(data, dict):
            return cls(kind="SCALAR", name="String")
        inner = data.get("ofType")
        return cls(kind=str(data.get("kind")), name=data.get("name"), of_type=cls.parse(inner) if inner else None)

    def named(self) -> TypeRef:
        return self.of_type.named() if self.of_type is not None else self

    def render(self) -> str:
        """As written in a variable declaration: ``[Severity!]``, ``UUID!``."""
        if self.kind == "NON_NULL" and self.of_type is not None:
            return self.of_type.render() + "!"
        if self.kind == "LIST" and self.of_type is not None:
            return f"[{self.of_type.render()}]"
        return str(self.name)


@frozen(kw_only=False)
class Field:
    """A field of the introspected schema, with its arguments."""

    name: str
    type: TypeRef
    args: dict[str, TypeRef]


@frozen(kw_only=False)
class SchemaView:
    """What the server's schema offers, as far as the tool needs it."""

    subscriptions: dict[str, Field]
    queries: dict[str, Field]
    types: dict[str, dict[str, Field]]  # object and input type -> fields
    enums: dict[str, tuple[str, ...]]
    kinds: dict[str, str]
    mutations: dict[str, Field] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any) -> SchemaView:
        schema = data.get("__schema") if isinstance(data, dict) else None
        if not isinstance(schema, dict):
            raise ValueError("not an introspection result")
        types: dict[str, dict[str, Field]] = {}
        enums: dict[str, tuple[str, ...]] = {}
        kinds: dict[str, str] = {}
        for item in schema.get("types") or ():
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            kinds[item["name"]] = str(item.get("kind"))
            fields = item.get("fields") or item.get("inputFields") or ()
            types[item["name"]] = {
                f["name"]: Field(
                    name=f["name"],
                    type=TypeRef.parse(f.get("type")),
                    args={a["name"]: TypeRef.parse(a.get("type")) for a in f.get("args") or () if isinstance(a, dict)},
                )
                for f in fields
                if isinstance(f, dict) and isinstance(f.get("name"), str)
            }
            if item.get("enumValues"):
                enums[item["name"]] = tuple(v["name"] for v in item["enumValues"] if isinstance(v, dict))
        def root(key: str) -> str:
            named = schema.get(key)
            return str(named.get("name") or "") if isinstance(named, dict) else ""

        return cls(
            subscriptions=types.get(root("subscriptionType"), {}),
            queries=types.get(root("queryType"), {}),
            # A schema cached before mutationType was asked names none: its type is "Mutation" by convention.
            mutations=types.get(root("mutationType") or "Mutation", {}),
            types=types,
            enums=enums,
            kinds=kinds,
        )

    # ---- selections ----------------------------------------------------------------------

    def selection(self, type_name: str | None, wanted: str) -> str:
        """The wanted fields the type has; objects get a sub-selection of their scalar fields."""
        fields = self.types.get(type_name or "", {})
        if not fields:
            return wanted  # unknown type: ask for what we would ask anyway
        parts = []
        for name in wanted.split():
            if name not in fields:
                continue
            named = fields[name].type.named()
            if self.kinds.get(named.name or "") in ("OBJECT", "INTERFACE"):
                members = self.types.get(named.name or "", {}).items()
                inner = [n for n, f in members if self.kinds.get(f.type.named().name or "") in ("SCALAR", "ENUM")]
                if inner:
                    parts.append(f"{name} {{ {' '.join(inner)} }}")
            else:
                parts.append(name)
        return " ".join(parts) or "__typename"


@dataclass
class Plan:
    """The built-in operations for one server, and what had to give."""

    operations: list[Operation]
    notes: list[str] = field(default_factory=list)


def plan_subscriptions(
    view: SchemaView, names: tuple[str, ...], severities: tuple[str, ...], incident_ids: tuple[str, ...] = ()
) -> Plan:
    """Build the chosen streams against ``view``; fall back or filter on the client as needed.
    ``incident_ids`` (--incident): asked of the server where a stream takes them; the client
    filters on them either way."""
    plan = Plan(operations=[])
    for name in names:
        root, chosen = STREAMS[name].root, severities
        if root not in view.subscriptions:
            substitute = {streams.CRITICAL_INCIDENTS: streams.NEW_INCIDENTS,
                          streams.NEW_INCIDENTS: streams.CRITICAL_INCIDENTS}.get(root)
            if substitute is None or substitute not in view.subscriptions or substitute in {o.label for o in plan.operations}:
                plan.notes.append(f"the server has no {root} subscription: that stream is left out")
                continue
            carries = STREAMS[name].carries
            if carries:  # new incidents of P0/P1 are the critical ones
                chosen = tuple(sorted(set(severities) & set(carries))) if severities else carries
                plan.notes.append("the server has no criticalIncidents subscription: following newIncidents for P0/P1")
            else:
                plan.notes.append("the server has no newIncidents subscription: following criticalIncidents (P0/P1 only)")
            root = substitute
        plan.operations.append(_subscription(view, root, chosen, plan, incident_ids))
    return plan


def _subscription(
    view: SchemaView, root: str, severities: tuple[str, ...], plan: Plan, incident_ids: tuple[str, ...] = ()
) -> Operation:
    spec = view.subscriptions[root]
    variables: dict[str, Any] = {}
    arguments: dict[str, str] = {}
    if incident_ids and "incidentIds" in spec.args:
        variables["incidentIds"] = list(incident_ids)
        arguments["incidentIds"] = spec.args["incidentIds"].render()
    elif len(incident_ids) == 1 and "incidentId" in spec.args:
        variables["incidentId"] = incident_ids[0]
        arguments["incidentId"] = spec.args["incidentId"].render()
    server_filters = "severities" in spec.args
    if severities and server_filters:
        variables["severities"] = list(severities)
        arguments["severities"] = spec.args["severities"].render()
    client_side = client_severities(root, severities, server_filters=server_filters)
    if client_side and "severities" in REFERENCE_SUBSCRIPTIONS.get(root, ()):  # news only where the reference has it
        plan.notes.append(f"{root} takes no severities argument here: severities are filtered on the client")
    op_name = root[0].upper() + root[1:]
    selection = view.selection(spec.type.named().name, _FIELDS_OF[root])
    return Operation(
        label=root,
        document=document("subscription", op_name, root, selection, arguments),
        variables=variables or None,
        operation_name=op_name,
        client_severities=client_side,
        server_severities=server_severities(root, severities, server_filters=server_filters),
    )


def incident_query(view: SchemaView, incident_id: str, fields: str = INCIDENT_FIELDS) -> Operation | None:
    spec = view.queries.get("incident")
    if spec is None or "id" not in spec.args:
        return None
    selection = view.selection(spec.type.named().name, fields)
    return Operation(
        label="incident",
        document=document("query", "Incident", "incident", selection, {"id": spec.args["id"].render()}),
        variables={"id": incident_id},
        operation_name="Incident",
    )


def incidents_by_id_query(view: SchemaView, ids: list[str]) -> Operation | None:
    spec = view.queries.get("incident")
    if spec is None or "id" not in spec.args:
        return None
    selection = view.selection(spec.type.named().name, INCIDENT_FIELDS)
    return operations.incidents_by_id_query(ids, id_type=spec.args["id"].render(), fields=selection)


def active_incidents_query(
    view: SchemaView, *, severities: tuple[str, ...] = (), page: int = 1, page_size: int = 100, active_only: bool = True
) -> Operation | None:
    spec = view.queries.get("incidents")
    if spec is None:
        return None
    connection = spec.type.named().name
    item_type = view.types.get(connection or "", {}).get("incidents")
    if item_type is None:
        return None
    arguments: dict[str, str] = {}
    variables: dict[str, Any] = {}
    filter_type = spec.args.get("filter")
    if filter_type is not None:
        accepted = view.types.get(filter_type.named().name or "", {})
        value: dict[str, Any] = {}
        if "activeOnly" in accepted and active_only:
            value["activeOnly"] = True
        if severities and "severities" in accepted:
            value["severities"] = list(severities)
        if value:
            arguments["filter"], variables["filter"] = filter_type.render(), value
    if "pagination" in spec.args:
        arguments["pagination"] = spec.args["pagination"].render()
        variables["pagination"] = {"page": page, "pageSize": page_size}
    incidents = view.selection(item_type.type.named().name, INCIDENT_FIELDS)
    page_info = view.types.get(connection or "", {}).get("pageInfo")
    info = f" pageInfo {{ {view.selection(page_info.type.named().name, 'totalCount hasNextPage')} }}" if page_info else ""
    return Operation(
        label="incidents",
        document=document("query", "ActiveIncidents", "incidents", f"incidents {{ {incidents} }}{info}", arguments),
        variables=variables or None,
        operation_name="ActiveIncidents",
    )


def differences(view: SchemaView) -> list[str]:
    """How the server differs from the reference API, one line each."""
    lines = []
    for name, args in REFERENCE_SUBSCRIPTIONS.items():
        if name not in view.subscriptions:
            lines.append(f"subscription {name} is missing")
            continue
        for arg in args:
            if arg not in view.subscriptions[name].args:
                lines.append(f"subscription {name} takes no {arg} argument (filtered on the client)")
    for name in REFERENCE_QUERIES:
        if name not in view.queries:
            lines.append(f"query {name} is missing")
    for enum, values in REFERENCE_ENUMS.items():
        actual = view.enums.get(enum)
        if actual is not None and set(actual) != set(values):
            lines.append(f"enum {enum} is {' '.join(actual)} (reference: {' '.join(values)})")
    labels = view.types.get("Incident", {}).get("labels")
    if labels is not None and view.kinds.get(labels.type.named().name or "") == "OBJECT":
        lines.append(f"Incident.labels is a list of {labels.type.named().name} objects, not a map")
    return lines
