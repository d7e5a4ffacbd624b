import pytest
from graphql import graphql_sync

from incident_cli.demo.schema import executable_schema
from incident_cli.demo.simulator import Hub, Simulator
from incident_cli.driver.schema_source import CustomCheck, Documents, Planner, SchemaSource, cache_dir
from incident_cli.errors import OperationRejected
from incident_cli.operations import custom
from tests.helpers import run


def asker(variant="reference", refuse=False):
    executable = executable_schema(Simulator(Hub(), initial=0), variant)
    asked = []

    async def ask(operation):
        asked.append(operation.label)
        if refuse:
            raise OperationRejected("introspection is disabled")
        result = graphql_sync(executable, operation.document, variable_values=operation.variables)
        assert result.errors is None, result.errors
        return result.data

    return ask, asked


def test_cache_dir_follows_xdg():
    assert str(cache_dir({"HOME": "/h"})) == "/h/.cache/incidents/schema"
    assert str(cache_dir({"XDG_CACHE_HOME": "/c"})) == "/c/incidents/schema"


def test_fetch_then_cache_then_expire_and_invalidate(tmp_path):
    now = [1000.0]
    ask, asked = asker()
    source = SchemaSource("ws://h/graphql/ws", tmp_path, lifetime=60, clock=lambda: now[0])
    view, notice = run(source.load(ask))
    assert view is not None and notice is None and asked == ["introspection"]
    fresh = SchemaSource("ws://h/graphql/ws", tmp_path, lifetime=60, clock=lambda: now[0])
    assert run(fresh.load(ask))[0] is not None and asked == ["introspection"]  # warm cache: no round trip
    assert SchemaSource("ws://other/graphql/ws", tmp_path, clock=lambda: now[0])._read() is None  # per URL
    now[0] += 61
    run(fresh.load(ask))
    assert asked == ["introspection", "introspection"]  # expired
    fresh.invalidate()
    run(fresh.load(ask))
    assert len(asked) == 3


def test_refused_introspection_gets_reference_documents_with_one_notice(tmp_path):
    ask, _ = asker(refuse=True)
    planner = Planner(SchemaSource("ws://h/x", tmp_path), ("new",), ("P1",))
    operations, notes = run(planner(ask))
    assert operations[0].variables == {"severities": ["P1"]} and len(notes) == 1 and "reference" in notes[0]
    again, notes = run(planner(ask))
    assert notes == [] and again[0].document == operations[0].document
    assert Documents(planner.source).incident("x").label == "incident"  # reference documents


def test_a_state_the_cached_schema_lacks_is_asked_of_the_server_before_the_watch_refuses_it(tmp_path):
    drifted, _ = asker("drifted")
    run(SchemaSource("ws://h/x", tmp_path).load(drifted))  # cached: another server on this address, or before a deploy
    reference, asked = asker("reference")
    unfiltered = Planner(SchemaSource("ws://h/x", tmp_path), ("new",), ())
    run(unfiltered(reference))
    assert asked == []  # the cache serves a watch with no --state
    planner = Planner(SchemaSource("ws://h/x", tmp_path), ("new",), (), states=frozenset({"NEW"}))
    run(planner(reference))
    assert asked == ["introspection"] and "NEW" in Documents(planner.source).enum("IncidentState")
    run(Planner(SchemaSource("ws://h/x", tmp_path), ("new",), (), states=frozenset({"NEW"}))(reference))
    assert asked == ["introspection"]  # the fresh schema was cached: the next connection reads it
    gone, _ = asker("drifted")
    stale = Planner(SchemaSource("ws://h/x", tmp_path), ("new",), (), states=frozenset({"NEW"}))
    run(stale.source.load(gone, fresh=True))  # the server itself lacks NEW: its fresh answer says so, the watch refuses
    run(stale(gone))
    assert "NEW" not in Documents(stale.source).enum("IncidentState")


def test_planner_notes_are_said_once(tmp_path):
    ask, _ = asker("drifted")
    planner = Planner(SchemaSource("ws://h/x", None), ("critical",), ())
    first = run(planner(ask))[1]
    assert first and run(planner(ask))[1] == []


def test_custom_document_is_checked_before_it_is_sent():
    ask, asked = asker()
    check = CustomCheck(custom("subscription { newIncidents { titel } }", None))
    with pytest.raises(OperationRejected, match="Cannot query field 'titel' on type 'Incident'. Did you mean 'title'"):
        run(check(ask))
    good = CustomCheck(custom("subscription { newIncidents { title } }", None))
    assert run(good(ask))[0][0].document.startswith("subscription")
    with pytest.raises(OperationRejected, match="not valid GraphQL"):
        run(CustomCheck(custom("subscription {", None))(ask))


def test_custom_check_without_introspection_sends_as_is():
    ask, _ = asker(refuse=True)
    operations, notes = run(CustomCheck(custom("subscription { x }", None))(ask))
    assert operations[0].document == "subscription { x }" and "sending it as it is" in notes[0]
