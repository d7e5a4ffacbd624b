from graphql import graphql_sync

from incident_cli.demo.schema import executable_schema
from incident_cli.demo.simulator import Hub, Simulator


def schema_and_sim(**kwargs):
    sim = Simulator(Hub(), seed=5, initial=30, **kwargs)
    return executable_schema(sim), sim


def test_incidents_query_filters_and_pages():
    schema, sim = schema_and_sim()
    result = graphql_sync(
        schema,
        "{ incidents(filter: {severities: [P0, P1], activeOnly: true}, pagination: {pageSize: 3}) "
        "{ incidents { id severity state } pageInfo { totalCount hasNextPage pageSize } } }",
    )
    assert result.errors is None
    page = result.data["incidents"]
    expected = [i for i in sim.active() if i["severity"] in ("P0", "P1")]
    assert page["pageInfo"]["totalCount"] == len(expected)
    assert len(page["incidents"]) == min(3, len(expected))
    assert all(i["severity"] in ("P0", "P1") for i in page["incidents"])


def test_incident_by_id_and_validation_errors():
    schema, sim = schema_and_sim()
    some = next(iter(sim.incidents))
    assert graphql_sync(schema, f'{{ incident(id: "{some}") {{ id }} }}').data == {"incident": {"id": some}}
    bad = graphql_sync(schema, "{ incidents(filter: {severities: [P9]}) { pageInfo { totalCount } } }")
    assert bad.errors and "P9" in bad.errors[0].message
    unknown = graphql_sync(schema, "{ incident(id: \"x\") { nope } }")
    messages = " | ".join(error.message for error in unknown.errors)
    assert "Cannot query field 'nope'" in messages and "invalid UUID" in messages


def test_critical_and_active_queries():
    schema, sim = schema_and_sim()
    critical = graphql_sync(schema, "{ criticalIncidents { pageInfo { totalCount } } }").data
    assert critical["criticalIncidents"]["pageInfo"]["totalCount"] == len(
        [i for i in sim.active() if i["severity"] in ("P0", "P1")]
    )
    active = graphql_sync(schema, "{ activeIncidents(pagination: {pageSize: 100}) { incidents { id } } }").data
    assert len(active["activeIncidents"]["incidents"]) == len(sim.active())
