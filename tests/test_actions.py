"""actions.py: what each action sends and when it has nothing to do, as whole values."""

import pytest

from incident_cli import actions
from incident_cli.actions import Action
from incident_cli.demo.schema import executable_schema
from incident_cli.demo.simulator import Hub, Simulator
from incident_cli.errors import Unavailable, UsageError
from incident_cli.schema import INTROSPECTION, SchemaView


def view(variant="reference", mutations=True):
    from graphql import graphql_sync

    executable = executable_schema(Simulator(Hub(), initial=0), variant, mutations=mutations)
    return SchemaView.parse(graphql_sync(executable, INTROSPECTION).data)


def test_acknowledging_moves_to_the_servers_second_state_whatever_it_is_called():
    assert actions.first_states(view()) == ("NEW", "INVESTIGATING")
    assert actions.first_states(view("drifted")) == ("DETECTED", "TRIAGED")
    sent = actions.mutation(Action(kind="ack"), "i-1", view("drifted"))
    assert sent.variables == {"id": "i-1", "input": {"state": "TRIAGED"}}
    assert sent.document.startswith("mutation Ack($id: UUID!, $input: UpdateIncidentInput!) { updateIncident(id: $id, input: $input)")
    assert "timeline { " in sent.document and "assignees" in sent.document


def test_each_action_sends_its_own_mutation_with_only_variables_carrying_values():
    schema = view()
    cases = {
        Action(kind="assign", assignees=("a", "b")): ("assignIncident", {"incidentId": "x", "assignees": ["a", "b"]}),
        Action(kind="comment", comment='"}) { evil }'): ("addComment", {"incidentId": "x", "comment": '"}) { evil }'}),
        Action(kind="escalate", severity="P0", reason="r"): ("escalateIncident",
                                                            {"incidentId": "x", "newSeverity": "P0", "reason": "r"}),
        Action(kind="resolve", notes="n", method="assisted"): ("resolveIncident",
                                                              {"id": "x", "input": {"method": "AUTO_ASSISTED_MANUAL", "notes": "n"}}),
    }
    for action, (name, variables) in cases.items():
        sent = actions.mutation(action, "x", schema)
        assert (sent.label, sent.variables) == (name, variables)
        assert "evil" not in sent.document  # user text travels in variables only


def test_a_server_without_the_mutation_is_named():
    with pytest.raises(Unavailable, match="this server has no resolveIncident mutation"):
        actions.mutation(Action(kind="resolve", notes="n"), "x", view(mutations=False))


def test_nothing_to_do_and_what_needs_force():
    schema = view()
    assert actions.nothing_to_do(Action(kind="ack"), {"state": "INVESTIGATING"}, schema).startswith("already INVESTIGATING")
    assert actions.nothing_to_do(Action(kind="ack"), {"state": "NEW"}, schema) is None
    assert actions.nothing_to_do(Action(kind="resolve"), {"state": "CLOSED"}, schema) == "already CLOSED"
    assert actions.nothing_to_do(Action(kind="assign", assignees=("a",)), {"assignees": ["a"]}, schema) is not None
    lower = Action(kind="escalate", severity="P3")
    assert "lower" in actions.refusal(lower, {"severity": "P1"}, None)
    assert actions.refusal(Action(kind="escalate", severity="P3", force=True), {"severity": "P1"}, None) is None
    take = Action(kind="assign", assignees=("me@x",))
    assert "alice's" in actions.refusal(take, {"assignedTo": "alice"}, "me@x")
    assert actions.refusal(take, {"assignedTo": "me@x"}, "me@x") is None


def test_reading_back_tells_took_effect_from_did_not_and_from_cannot_tell():
    comment = Action(kind="comment", comment="looking")
    before = {"timeline": [{"eventType": "COMMENT_ADDED", "description": "looking"}]}
    twice = {"timeline": before["timeline"] * 2}
    assert actions.took_effect(comment, before, twice) is True
    assert actions.took_effect(comment, before, before) is False  # the same comment made earlier is not this one
    assert actions.took_effect(comment, before, {"state": "NEW"}) is None  # no timeline: cannot tell
    assert actions.took_effect(Action(kind="ack"), {"state": "NEW"}, {"state": "NEW"}) is False
    assert actions.took_effect(Action(kind="resolve"), {"state": "NEW"}, {"state": "RESOLVED"}) is True
    assert actions.took_effect(Action(kind="ack"), {"state": "NEW"}, None) is None


def test_lines_and_questions_are_sanitised_and_say_what_changed():
    before = {"id": "3f2a91c0-aaaa", "title": "pay\x1b[31ments: [b]disk[/b]", "severity": "P1", "state": "NEW"}
    line = actions.done_line(Action(kind="ack"), before, {**before, "state": "INVESTIGATING"})
    assert line == "acknowledged 3f2a91c0 pay^[[31ments: [b]disk[/b] (P1) NEW -> INVESTIGATING"
    assert actions.confirmation(Action(kind="resolve"), 3) == "Resolve 3 incidents?"
    assert actions.confirmation(Action(kind="ack"), 1) is None
    with pytest.raises(UsageError):
        actions.checked_severity("P7")
