import pytest
from graphql import graphql_sync, parse, validate

from incident_cli import operations as ops
from incident_cli import schema
from incident_cli.demo.schema import executable_schema
from incident_cli.demo.simulator import Hub, Simulator


def served(variant):
    executable = executable_schema(Simulator(Hub(), initial=0), variant)
    result = graphql_sync(executable, schema.INTROSPECTION)
    assert result.errors is None
    return executable, schema.SchemaView.parse(result.data)


def valid(executable, operation):
    return validate(executable, parse(operation.document)) == []


@pytest.mark.parametrize("variant", ["reference", "drifted"])
@pytest.mark.parametrize("severities", [(), ("P0", "P1")])
def test_every_stream_is_rebuilt_to_validate_on_both_variants(variant, severities):
    executable, view = served(variant)
    plan = schema.plan_subscriptions(view, tuple(ops.STREAMS), severities)
    assert plan.operations and all(valid(executable, op) for op in plan.operations)
    assert valid(executable, schema.incident_query(view, "00000000-0000-4000-8000-000000000000"))
    assert valid(executable, schema.active_incidents_query(view, severities=severities))


def test_reference_plan_matches_the_reference_documents():
    _, view = served("reference")
    plan = schema.plan_subscriptions(view, ("new", "updates"), ("P0",))
    assert [op.variables for op in plan.operations] == [{"severities": ["P0"]}, {"severities": ["P0"]}]
    assert plan.notes == [] and all(op.client_severities is None for op in plan.operations)
    assert "labels" in plan.operations[0].document and "labels {" not in plan.operations[0].document


def test_drifted_server_gets_sub_selections_fallbacks_and_client_filters():
    _, view = served("drifted")
    plan = schema.plan_subscriptions(view, ("critical", "new", "state-changes"), ("P0", "P1"))
    labels = {op.label: op for op in plan.operations}
    # critical is missing: new incidents, filtered to P0/P1 on the client (newIncidents takes no severities)
    assert list(labels) == ["newIncidents", "incidentStateChanges"]
    assert labels["newIncidents"].client_severities == frozenset({"P0", "P1"})
    assert "labels { key value }" in labels["newIncidents"].document
    assert "$severities" not in labels["newIncidents"].document
    assert any("no criticalIncidents" in note for note in plan.notes)


def test_missing_streams_are_left_out_with_a_note():
    _, view = served("drifted")
    plan = schema.plan_subscriptions(view, ("new", "critical"), ())
    assert [op.label for op in plan.operations] == ["newIncidents"]  # critical would repeat it


def test_queries_missing_on_the_server_are_none():
    view = schema.SchemaView(subscriptions={}, queries={}, types={}, enums={}, kinds={})
    assert schema.incident_query(view, "x") is None and schema.active_incidents_query(view) is None


def test_differences_from_the_reference():
    assert schema.differences(served("reference")[1]) == []
    found = schema.differences(served("drifted")[1])
    assert "subscription criticalIncidents is missing" in found
    assert any(line.startswith("enum IncidentState is DETECTED") for line in found)
    assert "Incident.labels is a list of Label objects, not a map" in found


def test_type_refs_render_as_declared():
    _, view = served("reference")
    args = view.subscriptions["incidentUpdates"].args
    assert args["severities"].render() == "[Severity!]" and args["activeOnly"].render() == "Boolean"
    assert view.queries["incident"].args["id"].render() == "UUID!"


def test_parse_rejects_what_is_not_a_schema():
    with pytest.raises(ValueError):
        schema.SchemaView.parse({"data": 1})
