import pytest
from graphql import build_schema, parse, validate

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.demo.schema import SDL
from incident_cli.errors import UsageError

SCHEMA = build_schema(SDL)


def test_parse_severities_is_case_insensitive_and_deduplicated():
    assert ops.parse_severities("p1, P0,p1") == ("P0", "P1")
    assert ops.parse_severities(None) == ()  # not given: no filter
    with pytest.raises(UsageError, match="--severity needs at least one severity"):
        ops.parse_severities(" ")  # given empty: an error, never "every severity"


def test_bad_severity_names_the_valid_ones():
    with pytest.raises(UsageError, match="P0, P1, P2, P3, P4"):
        ops.parse_severities("P0,SEV1")


def test_streams_default_and_choice():
    assert ops.parse_streams(None) == ("new", "updates", "state-changes")
    assert ops.parse_streams(["alerts", "critical,new"]) == ("alerts", "critical", "new")
    with pytest.raises(UsageError, match="critical, new, updates, state-changes, alerts"):
        ops.parse_streams(["bogus"])


@pytest.mark.parametrize("name", list(ops.STREAMS))
@pytest.mark.parametrize("severities", [(), ("P0", "P1")])
def test_every_built_in_document_validates_against_the_reference_schema(name, severities):
    operation = ops.subscription(name, severities=severities)
    assert validate(SCHEMA, parse(operation.document)) == []


def test_severities_become_variables_where_the_subscription_takes_them():
    new = ops.subscription("new", severities=("P0", "P1"))
    assert new.variables == {"severities": ["P0", "P1"]} and new.client_severities is None
    assert "newIncidents(severities: $severities)" in new.document
    changes = ops.subscription("state-changes", severities=("P0",))
    assert changes.variables is None and changes.client_severities == frozenset({"P0"})


def test_no_filter_sends_no_empty_list():
    operation = ops.subscription("updates")
    assert operation.variables is None and "$severities" not in operation.document


def test_critical_narrows_on_the_client_only_when_asked_for_less_than_p0_p1():
    assert ops.subscription("critical", severities=("P0", "P1", "P2")).client_severities is None
    assert ops.subscription("critical", severities=("P0",)).client_severities == frozenset({"P0"})


@pytest.mark.parametrize("operation", [ops.incident_query("x"), ops.active_incidents_query(severities=("P1",))])
def test_queries_validate(operation):
    assert validate(SCHEMA, parse(operation.document)) == []


def test_user_values_travel_as_variables_never_in_the_document():
    hostile = 'x") { __schema { types { name } } } #'
    operation = ops.incident_query(hostile)
    assert hostile not in operation.document and operation.variables == {"id": hostile}


def test_parse_variables_strings_json_and_merge():
    assert ops.parse_variables(["a=1", "b:=1", "c:=[\"P0\"]"], '{"a": "x", "d": true}') == {
        "a": "1",
        "b": 1,
        "c": ["P0"],
        "d": True,
    }
    assert ops.parse_variables(None, None) is None


@pytest.mark.parametrize(
    ("pairs", "raw"),
    [(["novalue"], None), (["=x"], None), (["k:=nope"], None), (None, "[1]"), (None, "{bad")],
)
def test_parse_variables_errors(pairs, raw):
    with pytest.raises(UsageError):
        ops.parse_variables(pairs, raw)


def test_custom_document_must_not_be_empty():
    with pytest.raises(UsageError):
        ops.custom("   ", None)
    assert ops.custom("subscription { a }", {"x": 1}).label == "custom"


def test_an_operations_events_carry_what_the_client_must_still_check():
    changes = ops.subscription("state-changes", severities=("P0",))
    assert changes.scope == model.Scope(wanted=frozenset({"P0"}), within=None)
    updates = ops.subscription("updates", severities=("P0", "P1"))
    assert updates.scope == model.Scope(wanted=None, within=frozenset({"P0", "P1"}))
    assert changes.scope is changes.scope  # built once, not per event
