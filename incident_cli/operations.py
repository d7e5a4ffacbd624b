"""The catalogue of GraphQL documents the tool sends, and how CLI filters become variables.

Documents are built from fixed parts and declared variables; user strings only ever
travel as variable values, never pasted into a document.
"""

from __future__ import annotations

import json
from dataclasses import field
from functools import cached_property
from typing import Any

from incident_cli import streams
from incident_cli.errors import UsageError
from incident_cli.model import Label, Scope
from incident_cli.values import frozen

SEVERITIES = streams.SEVERITIES

INCIDENT_FIELDS = streams.INCIDENT_FIELDS
# One incident in full (show, the actions): who has it, its timeline, its resolution, where the schema has them.
DETAIL_FIELDS = INCIDENT_FIELDS + " assignees timeline resolution"
STREAMS = streams.STREAMS  # the server's subscriptions, one value each (streams.py)

# new incidents + updates + state changes together keep a view of incidents current.
DEFAULT_STREAMS = ("new", "updates", "state-changes")


@frozen
class Operation:
    """A document ready to send, with the label events carry (``subscription`` in JSON lines)."""

    label: str
    document: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    # Severities the server could not filter on for this operation: the client filters.
    client_severities: frozenset[str] | None = field(default=None)
    # Severities the server filtered this operation's events to: each is about one of them.
    server_severities: frozenset[str] | None = field(default=None)

    @cached_property
    def scope(self) -> Scope:
        """What its events carry for the client-side filter (built once, not per event)."""
        return Scope(wanted=self.client_severities, within=self.server_severities)


def parse_severities(text: str | None, *, option: str = "--severity") -> tuple[str, ...]:
    """``"p0, P1"`` -> ``("P0", "P1")``; a bad value is a usage error naming the valid ones.

    None (not given) is no filter; an empty value is an error, never "every severity".
    """
    if text is None:
        return ()
    if not text.strip():
        raise UsageError(f"{option} needs at least one severity, e.g. P0,P1")
    chosen: list[str] = []
    for raw in text.split(","):
        value = raw.strip().upper()
        if value not in SEVERITIES:
            shown = raw.strip().encode("ascii", "backslashreplace").decode()[:20]
            raise UsageError(f"{option}: invalid severity {shown!r}: choose from {', '.join(SEVERITIES)}")
        if value not in chosen:
            chosen.append(value)
    return tuple(sorted(chosen))


def parse_streams(names: list[str] | None) -> tuple[str, ...]:
    if not names:
        return DEFAULT_STREAMS
    chosen: list[str] = []
    for name in names:
        for part in name.split(","):
            key = part.strip().lower()
            if key not in STREAMS:
                shown = part.strip().encode("ascii", "backslashreplace").decode()[:30]
                raise UsageError(f"--subscribe: unknown stream {shown!r}: choose from {', '.join(STREAMS)}")
            if key not in chosen:
                chosen.append(key)
    return tuple(chosen)


def document(kind: str, name: str, root: str, fields: str, arguments: dict[str, str]) -> str:
    """``kind name($a: T) { root(a: $a) { fields } }``: only variables carry user values."""
    declared = ", ".join(f"${arg}: {gql_type}" for arg, gql_type in arguments.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in arguments)
    head = f"{kind} {name}({declared})" if declared else f"{kind} {name}"
    call = f"{root}({passed})" if passed else root
    return f"{head} {{ {call} {{ {fields} }} }}"


def subscription(name: str, *, severities: tuple[str, ...] = ()) -> Operation:
    """The built-in subscription ``name`` with the user's filters as variables.

    An argument is declared only when a value is given: ``severities: []`` would match
    nothing on some servers (PROTOCOL.md (d) 32).
    """
    spec = STREAMS[name]
    variables: dict[str, Any] = {}
    if severities and spec.takes_severities:
        variables["severities"] = list(severities)
    arguments = {arg: spec.arguments[arg] for arg in variables}
    op_name = spec.root[0].upper() + spec.root[1:]
    return Operation(
        label=spec.root,
        document=document("subscription", op_name, spec.root, spec.fields, arguments),
        variables=variables or None,
        operation_name=op_name,
        client_severities=client_severities(spec.root, severities, server_filters=spec.takes_severities),
        server_severities=server_severities(spec.root, severities, server_filters=spec.takes_severities),
    )


def client_severities(root: str, severities: tuple[str, ...], *, server_filters: bool) -> frozenset[str] | None:
    """The severities the client must filter on itself, or None when the server does it all."""
    if not severities or server_filters:
        return None
    carries = frozenset(_carried(root))
    if carries:
        # A stream that carries some severities only (criticalIncidents): a narrower choice is applied on our side.
        narrower = frozenset(severities) & carries
        return narrower if narrower != carries else None
    return frozenset(severities)


def server_severities(root: str, severities: tuple[str, ...], *, server_filters: bool) -> frozenset[str] | None:
    """The severities the server restricts the stream to, or None when it does not."""
    carries = _carried(root)
    if carries:
        return frozenset(carries)
    return frozenset(severities) if severities and server_filters else None


def _carried(root: str) -> tuple[str, ...]:
    stream = streams.BY_ROOT.get(root)
    return stream.carries if stream is not None else ()


def incident_query(incident_id: str) -> Operation:
    """One incident by id, to learn what an update or state change refers to."""
    return Operation(
        label="incident",
        document=document("query", "Incident", "incident", INCIDENT_FIELDS, {"id": "UUID!"}),
        variables={"id": incident_id},
        operation_name="Incident",
    )


def incidents_by_id_query(ids: list[str], *, id_type: str = "UUID!", fields: str = INCIDENT_FIELDS) -> Operation:
    """Several incidents by id in one round trip: one aliased ``incident(id:)`` field each
    (``i0: incident(id: $i0) {...}``); the answer maps each alias to the incident or null."""
    declared = ", ".join(f"$i{n}: {id_type}" for n in range(len(ids)))
    body = " ".join(f"i{n}: incident(id: $i{n}) {{ {fields} }}" for n in range(len(ids)))
    return Operation(
        label="incident",
        document=f"query IncidentsById({declared}) {{ {body} }}",
        variables={f"i{n}": incident_id for n, incident_id in enumerate(ids)},
        operation_name="IncidentsById",
    )


def active_incidents_query(
    *, severities: tuple[str, ...] = (), page: int = 1, page_size: int = 100, active_only: bool = True
) -> Operation:
    """Active incidents, optionally of some severities: fills a view before streaming."""
    fields = f"incidents {{ {INCIDENT_FIELDS} }} pageInfo {{ totalCount hasNextPage }}"
    variables: dict[str, Any] = {
        "filter": {"activeOnly": active_only, **({"severities": list(severities)} if severities else {})},
        "pagination": {"page": page, "pageSize": page_size},
    }
    return Operation(
        label="incidents",
        document=document(
            "query",
            "ActiveIncidents",
            "incidents",
            fields,
            {"filter": "IncidentFilter", "pagination": "PaginationInput"},
        ),
        variables=variables,
        operation_name="ActiveIncidents",
    )


# ---- custom documents (--query) --------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity could never be sent


def parse_variables(pairs: list[str] | None, variables_json: str | None) -> dict[str, Any] | None:
    """``--variables JSON`` first, then each ``--var key=value`` (string) or ``key:=json``."""
    variables: dict[str, Any] = {}
    if variables_json is not None:
        try:
            loaded = json.loads(variables_json, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--variables is not valid JSON: {exc.msg} at position {exc.pos}") from None
        except (ValueError, RecursionError):
            raise UsageError("--variables is not valid JSON (too deep, or a number too long)") from None
        if not isinstance(loaded, dict):
            raise UsageError("--variables must be a JSON object")
        variables.update(loaded)
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key or key == ":":
            shown = pair.encode("ascii", "backslashreplace").decode()[:40]
            raise UsageError(f"--var expects key=value or key:=json, got {shown!r}")
        if key.endswith(":"):
            try:
                variables[key[:-1]] = json.loads(value, parse_constant=_no_constant)
            except (ValueError, RecursionError):
                name = key[:-1].encode("ascii", "backslashreplace").decode()[:40]
                raise UsageError(f"--var {name}: the value after ':=' is not valid JSON") from None
        else:
            variables[key] = value
    return variables or None


_KINDS = ("query", "mutation", "subscription")


def operation_kind(document: str, operation_name: str | None = None) -> str | None:
    """``query``, ``mutation`` or ``subscription``: what the document's operation (the named
    one, or its only one) is; None when the scan cannot tell.

    A scan of the top level only (comments and strings skipped, brackets counted): enough to
    know a run is one-shot, without the 0.13 s import of a GraphQL parser on every ``-q``.
    """
    definitions: list[tuple[str, str | None]] = []
    depth, index, length = 0, 0, len(document)
    expecting_name = False
    while index < length:
        char = document[index]
        if char == "#":
            newline = document.find("\n", index)
            index = length if newline < 0 else newline + 1
            continue
        if char == '"':
            if document.startswith('"""', index):
                end = document.find('"""', index + 3)
                index = length if end < 0 else end + 3
            else:
                index += 1
                while index < length and document[index] not in '"\n':
                    index += 2 if document[index] == "\\" else 1
                index += 1
            continue
        if char in "({[":
            if char == "{" and depth == 0 and (not definitions or definitions[-1][0] == "done"):
                definitions.append(("query", None))  # the { ... } shorthand is a query
            depth += 1
            expecting_name = False
        elif char in ")}]":
            depth -= 1
            if depth == 0 and char == "}" and definitions and definitions[-1][0] != "done":
                definitions.append(("done", None))
        elif (char.isalpha() or char == "_") and depth == 0:
            end = index
            while end < length and (document[end].isalnum() or document[end] == "_"):
                end += 1
            word = document[index:end]
            if expecting_name:
                definitions[-1] = (definitions[-1][0], word)
                expecting_name = False
            elif word in (*_KINDS, "fragment") and (not definitions or definitions[-1][0] == "done"):
                definitions.append((word, None))
                expecting_name = word != "fragment"
            index = end
            continue
        index += 1
    operations = [(kind, name) for kind, name in definitions if kind in _KINDS]
    if operation_name is not None:
        operations = [(kind, name) for kind, name in operations if name == operation_name]
    return operations[0][0] if len(operations) == 1 else None


def custom(document: str, variables: dict[str, Any] | None, operation_name: str | None = None) -> Operation:
    if not document.strip():
        raise UsageError("the --query document is empty")
    return Operation(label=Label.CUSTOM, document=document, variables=variables, operation_name=operation_name)
