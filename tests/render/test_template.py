"""--template: lookups into a fixed view, with width, alignment and a cut; Go's spelling answered."""

import pytest

from incident_cli.errors import UsageError
from incident_cli.render.template import check, render
from tests.helpers import demo, incidents

VALUES = {"severity": "P0", "title": "database down", "id": "8d116ece", "data": {"labels": {"team": "sre"}}}


@pytest.mark.parametrize(("template", "line"), [
    ("{severity:<4}|", "P0  |"),
    ("{id:>10}|", "  8d116ece|"),
    ("{title:.8}|", "database|"),
    ("{title:^17}|", "  database down  |"),
    ("{severity:>3.1}|", "  P|"),
    ("{data.labels.team}", "sre"),
    ("{{literal}} {severity}", "{literal} P0"),
    ("{state:<3}|", "   |"),  # unknown here: empty, still padded
])
def test_width_alignment_and_cut(template, line):
    assert render(check(template), VALUES) == line


def test_gos_spelling_gets_the_same_template_written_here():
    with pytest.raises(UsageError, match=r"not Go's \{\{\.name\}\}: write --template '\{severity\} \{title\}'"):
        check("{{.severity}} {{ .title }}")


@pytest.mark.parametrize(("template", "said"), [
    ("{titel}", "unknown field {titel}"),
    ("{severity", "a single '{' must be written '{{'"),
])
def test_a_bad_template_is_said_before_connecting(template, said):
    with pytest.raises(UsageError, match=said.replace("{", r"\{").replace("}", r"\}")):
        check(template)


def test_templates_with_the_real_cli():
    with demo("--rate", "40") as url:
        lines = incidents("watch", "-u", url, "-n", "5", "--template", "{severity:<3}{kind:<13}{title:.20}")
        go = incidents("watch", "-u", url, "-n", "1", "--template", "{{.severity}}")
        machine = incidents("watch", "-u", url, "-n", "1", "--template", "{title}", "-o", "jsonl")
    assert lines.returncode == 0, lines.stderr
    assert all(line[:3].rstrip() in ("P0", "P1", "P2", "P3", "P4") and len(line) <= 36 for line in lines.stdout.splitlines())
    assert go.returncode == 2 and "write --template '{severity}'" in go.stderr
    assert machine.returncode == 2 and "does not go with -o jsonl" in machine.stderr


def test_an_update_has_the_state_team_and_owner_its_incident_is_known_by():
    from datetime import UTC, datetime

    from incident_cli import model
    from incident_cli.memory import Memory
    from incident_cli.render.template import view

    memory = Memory()
    memory.observe(model.stream_event("newIncidents", {"newIncidents": {
        "id": "i", "title": "db down", "state": "INVESTIGATING", "assignedTo": None, "labels": {"team": "sre"}}},
        datetime.now(UTC)))
    update = model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "i", "updateType": "COMMENT_ADDED"}},
                                datetime.now(UTC))
    values = view(update, memory.get("i"), "12:00:00")
    assert render(check("{state} {team} {owner} {title}"), values) == "INVESTIGATING sre nobody db down"
