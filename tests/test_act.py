"""The actions (ack, assign, take, comment, escalate, resolve) run by the real CLI, in process,
against the demo server speaking the real protocol (and over HTTP where it serves it)."""

import io
import json
import os

import pytest

from tests.helpers import demo_server, incidents

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}


def environ(tmp_path=None, **extra):
    values = {**CLEAN, **extra}
    if tmp_path is not None:
        values["XDG_CONFIG_HOME"] = str(tmp_path)
    return values


def first_new(server, severity=None):
    """An incident of the demo's store still in its first state (optionally of one severity)."""
    for incident in server.simulator.incidents.values():
        if incident["state"] == "NEW" and severity in (None, incident["severity"]):
            return incident
    raise AssertionError("the demo has no NEW incident")


def on(server, *args, stdin=None, env=None):
    return incidents(*args, "--url", server.url, input=stdin, env=env or environ())


@pytest.mark.parametrize("dialect", ["graphql-transport-ws", "graphql-ws"])
def test_ack_moves_an_incident_out_of_its_first_state_by_a_prefix_over_the_socket(dialect):
    with demo_server("--rate", "0", "--protocol", dialect) as server:
        incident = first_new(server)
        result = on(server, "ack", incident["id"][:8], "-o", "text")
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"acknowledged {incident['id'][:8]} {incident['title']} ({incident['severity']}) NEW -> INVESTIGATING\n"
        assert incident["state"] == "INVESTIGATING" and server.mutations == ["updateIncident"]
        assert server.http_queries == 0  # no HTTP endpoint here: the socket carried it


def test_over_http_where_the_server_answers_it_and_json_is_the_incident_as_returned():
    with demo_server("--rate", "0", "--http") as server:
        incident = first_new(server)
        result = on(server, "comment", incident["id"], "-m", "looking: rolling back", "-o", "json")
        assert result.returncode == 0, result.stderr
        returned = json.loads(result.stdout)
        assert returned["id"] == incident["id"]
        assert [e["description"] for e in returned["timeline"] if e["eventType"] == "COMMENT_ADDED"] == ["looking: rolling back"]
        assert server.mutations == ["addComment"] and server.http_queries >= 1


def test_a_server_that_names_its_states_otherwise_is_acknowledged_in_its_own_words():
    with demo_server("--rate", "0", "--schema-variant", "drifted") as server:
        incident = first_new(server)
        result = on(server, "ack", incident["id"][:8], "-o", "text")
        assert result.returncode == 0, result.stderr
        assert result.stdout.rstrip().endswith("DETECTED -> TRIAGED")
        again = on(server, "ack", incident["id"][:8])
        assert again.returncode == 0 and "already TRIAGED" in again.stderr and server.mutations == ["updateIncident"]


def test_ids_from_stdin_with_yes_act_on_each_and_a_bulk_action_asks_scripts_for_yes():
    with demo_server("--rate", "0") as server:
        new = [i["id"] for i in server.simulator.incidents.values() if i["state"] == "NEW"][:3]
        assert len(new) == 3
        refused = on(server, "ack", "-", stdin="\n".join(new) + "\n")
        assert refused.returncode == 2 and "--yes" in refused.stderr and server.mutations == []
        result = on(server, "ack", "-", "--yes", "-o", "json", stdin="\n".join(new) + "\n")
        assert result.returncode == 0, result.stderr
        assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == new
        assert server.mutations == ["updateIncident"] * 3


def test_an_unknown_id_is_1_an_ambiguous_start_is_2_and_nothing_is_sent():
    with demo_server("--rate", "0", "--incidents", "60") as server:
        unknown = on(server, "ack", "ffffffff-0000-4000-8000-000000000000")
        assert unknown.returncode == 1 and "no incident" in unknown.stderr
        starts = {}
        for key in server.simulator.incidents:
            starts.setdefault(key[0], []).append(key)
        shared = next(k for k, ids in starts.items() if len(ids) > 1)
        ambiguous = on(server, "ack", shared)
        assert ambiguous.returncode == 2 and "give more of the id" in ambiguous.stderr
        assert server.mutations == []


def test_dry_run_prints_the_mutation_and_sends_nothing():
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        result = on(server, "resolve", incident["id"][:8], "--notes", "rolled back", "--dry-run")
        assert result.returncode == 0, result.stderr
        sent = json.loads(result.stdout)
        assert sent["mutation"] == "resolveIncident" and sent["variables"]["input"] == {"method": "MANUAL", "notes": "rolled back"}
        assert "mutation Resolve(" in sent["document"]
        assert server.mutations == [] and incident["state"] == "NEW"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def on_a_terminal(server, *args, answer):
    from incident_cli.cli.app import run
    from incident_cli.env import Env

    env = Env(stdin=Terminal(answer), stdout=Terminal(), stderr=Terminal(), environ=environ())
    code = run([*args, "--url", server.url], env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def test_resolve_asks_on_a_terminal_naming_the_incident_and_no_sends_nothing():
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        code, _, said = on_a_terminal(server, "resolve", incident["id"][:8], "--notes", "done", answer="n\n")
        assert code == 2 and "Resolve 1 incident? [y/N]" in said and incident["title"] in said
        assert server.mutations == []
        code, out, said = on_a_terminal(server, "resolve", incident["id"][:8], "--notes", "done", answer="y\n")
        assert code == 0, said
        assert "resolved" in out and incident["state"] == "RESOLVED" and server.mutations == ["resolveIncident"]
        again = on(server, "resolve", incident["id"][:8], "--notes", "done", "--yes")
        assert again.returncode == 0 and "already RESOLVED" in again.stderr and server.mutations == ["resolveIncident"]


def test_taking_someone_elses_incident_needs_force_and_me_comes_from_the_token():
    with demo_server("--rate", "0", "--jwt-secret", "demo-secret") as server:
        from incident_cli.demo.auth import mint_token

        token = mint_token("demo-secret", subject="sam", lifetime=300, extra={"email": "sam@example.com"})
        env = environ(INCIDENTS_TOKEN=token)
        incident = first_new(server)
        incident["assignedTo"] = "alice"
        refused = on(server, "take", incident["id"][:8], env=env)
        assert refused.returncode == 2 and "alice's" in refused.stderr and server.mutations == []
        taken = on(server, "take", incident["id"][:8], "--force", "-o", "text", env=env)
        assert taken.returncode == 0, taken.stderr
        assert taken.stdout.rstrip().endswith("to sam@example.com") and incident["assignees"] == ["sam@example.com"]
        assert incident["timeline"][-1]["actor"] == "sam@example.com"


def test_me_without_a_user_in_the_token_is_a_clear_usage_error_and_as_names_one():
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        nobody = on(server, "take", incident["id"][:8])
        assert nobody.returncode == 2 and "'me' is nobody" in nobody.stderr and server.mutations == []
        named = on(server, "take", incident["id"][:8], "--as", "dana", "-o", "text")
        assert named.returncode == 0 and incident["assignedTo"] == "dana"


def test_a_read_only_profile_refuses_every_action_with_77_before_anything_is_sent(tmp_path):
    (tmp_path / "incidents").mkdir()
    (tmp_path / "incidents" / "config.toml").write_text('[profiles.default]\nread_only = true\n')
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        for args in (["ack", incident["id"]], ["resolve", incident["id"], "--notes", "x", "--yes"],
                     ["comment", incident["id"], "-m", "hi"]):
            result = on(server, *args, env=environ(tmp_path))
            assert result.returncode == 77 and "read-only" in result.stderr, args
        flag = on(server, "ack", incident["id"], "--read-only")
        assert flag.returncode == 77
        assert server.mutations == [] and server.connections == 0


def test_a_user_who_may_not_act_gets_77_with_the_servers_message():
    with demo_server("--rate", "0", "--forbid-actions") as server:
        result = on(server, "ack", first_new(server)["id"][:8])
        assert result.returncode == 77 and "you may not act on incidents" in result.stderr


def test_a_refused_input_is_65_with_the_message_and_a_server_without_the_mutation_69():
    with demo_server("--rate", "0") as server:
        result = on(server, "comment", first_new(server)["id"][:8], "-m", "x" * 10_001)
        assert result.returncode == 65 and "at most 10,000 characters" in result.stderr
        assert len(result.stderr.splitlines()) == 1  # said once
    with demo_server("--rate", "0", "--no-mutations") as server:
        result = on(server, "ack", first_new(server)["id"][:8])
        assert result.returncode == 69 and "this server has no updateIncident" in result.stderr


def test_escalate_raises_only_unless_forced_and_needs_a_reason():
    with demo_server("--rate", "0") as server:
        incident = first_new(server, severity="P1")
        lower = on(server, "escalate", incident["id"][:8], "P3", "--reason", "calmer", "--yes")
        assert lower.returncode == 2 and "lower" in lower.stderr and server.mutations == []
        raised = on(server, "escalate", incident["id"][:8], "p0", "--reason", "spreading", "--yes", "-o", "text")
        assert raised.returncode == 0 and raised.stdout.rstrip().endswith("P1 -> P0") and incident["severity"] == "P0"
        missing = on(server, "escalate", incident["id"][:8], "P0")
        assert missing.returncode == 2


@pytest.mark.parametrize("http", [False, True])
@pytest.mark.parametrize("fault", ["error", "drop"])
def test_an_action_applied_then_answered_badly_is_read_back_and_never_sent_twice(fault, http):
    with demo_server("--rate", "0", "--fault", f"mutation_fault={fault}", *(["--http"] if http else [])) as server:
        incident = first_new(server)
        result = on(server, "comment", incident["id"][:8], "-m", "looking", "-o", "text")
        assert result.returncode == 0, result.stderr
        assert "took effect" in result.stderr and result.stdout.startswith("commented on")
        assert server.mutations == ["addComment"]  # exactly once
        comments = [e for e in incident["timeline"] if e["eventType"] == "COMMENT_ADDED"]
        assert len(comments) == 1


def test_an_action_that_failed_without_effect_is_75_and_safe_to_run_again():
    with demo_server("--rate", "0", "--fault", "mutation_fault=fail") as server:
        incident = first_new(server)
        result = on(server, "ack", incident["id"][:8])
        assert result.returncode == 75 and "did not take effect" in result.stderr and "safe to run it again" in result.stderr
        assert incident["state"] == "NEW" and server.mutations == []


def test_show_prints_the_servers_timeline_assignees_and_resolution_and_finds_a_resolved_one_by_its_start():
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        short = incident["id"][:8]
        assert on(server, "assign", short, "--to", "alice", "--to", "bob").returncode == 0
        assert on(server, "comment", short, "-m", "looking [bold]now[/bold] \x1b[31m").returncode == 0
        assert on(server, "resolve", short, "--notes", "rolled back", "--root-cause", "bad push", "--yes").returncode == 0
        shown = on(server, "show", short, "-o", "text")
        assert shown.returncode == 0, shown.stderr
        text = shown.stdout
        assert "owners" in text and "alice, bob" in text
        assert "rolled back" in text and "bad push" in text and "timeline" in text
        assert "COMMENT_ADDED" in text and "[bold]now[/bold]" in text and "\x1b" not in text  # literally, never markup
        returned = json.loads(on(server, "show", short, "-o", "json").stdout)
        assert returned["resolution"]["notes"] == "rolled back" and returned["assignees"] == ["alice", "bob"]


def test_debug_shows_the_mutation_with_the_token_blanked():
    with demo_server("--rate", "0", "--token", "s3cret-demo-token-value") as server:
        incident = first_new(server)
        result = on(server, "ack", incident["id"][:8], "--debug", env=environ(INCIDENTS_TOKEN="s3cret-demo-token-value"))
        assert result.returncode == 0, result.stderr
        assert "sending updateIncident over the socket: mutation Ack(" in result.stderr
        assert "s3cret-demo-token-value" not in result.stderr + result.stdout


def wait_for_subscription(server, root, timeout=10.0, *, variables=()):
    """Until a subscription naming ``root`` was sent, and one with each of ``variables``
    (a client subscribes to several streams one after the other)."""
    import time

    from tests.helpers import seconds

    deadline = time.monotonic() + seconds(timeout)
    while time.monotonic() < deadline:
        sent = [m.get("payload") for m in list(server.received) if m.get("type") in ("subscribe", "start")]
        asked = [payload.get("variables") or {} for payload in sent if isinstance(payload, dict)]
        if any(root in str(payload) for payload in sent) and all(wanted in asked for wanted in variables):
            return
        time.sleep(0.02)
    raise AssertionError(f"no {root} subscription with {variables} within {timeout} s")


@pytest.mark.parametrize("mode", ["json", "text"])
def test_show_follow_prints_the_incident_then_each_change_to_it_alone_and_ends_when_it_is_resolved(mode):
    import threading

    from tests.helpers import seconds

    with demo_server("--rate", "20", "--incidents", "30") as server:
        incident = first_new(server)
        short = incident["id"][:8]
        box = {}
        follower = threading.Thread(target=lambda: box.update(
            result=on(server, "show", short, "--follow", "-o", mode)), daemon=True)
        follower.start()
        # The server filters too: each subscription names the incident.
        wait_for_subscription(server, "incidentStateChanges",
                              variables=({"incidentIds": [incident["id"]]}, {"incidentId": incident["id"]}))
        if incident["state"] == "NEW":
            assert on(server, "ack", short).returncode == 0
        assert on(server, "resolve", short, "--notes", "done", "--yes").returncode in (0,)
        follower.join(seconds(30))
        assert not follower.is_alive(), "--follow did not end when the incident was resolved"
        result = box["result"]
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        if mode == "json":
            assert json.loads(lines[0])["id"] == incident["id"]
            records = [json.loads(line) for line in lines[1:]]
            assert records and {r["incident_id"] for r in records} == {incident["id"]}  # nobody else's changes
            assert records[-1]["kind"] == "state_change" and records[-1]["data"]["newState"] == "RESOLVED"
        else:
            assert lines[0].startswith("title") and incident["title"] in lines[0]
            changes = [line for line in lines if short in line and "RESOLVED" in line]
            assert changes, result.stdout


def test_watch_incident_follows_only_that_one_and_a_resolved_one_is_not_followed():
    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        assert on(server, "resolve", incident["id"][:8], "--notes", "x", "--yes").returncode == 0
        result = on(server, "watch", "--incident", incident["id"][:8], "-o", "jsonl")
        assert result.returncode == 0 and "RESOLVED already: nothing to follow" in result.stderr and result.stdout == ""


def test_the_consoles_actor_acts_on_the_demo_and_is_unavailable_read_only_or_before_the_schema_is_known():
    from incident_cli.act import ConsoleActor, Server
    from incident_cli.driver.credentials import StaticCredentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.driver.schema_source import Documents, schema_source
    from incident_cli.memory import Shown
    from incident_cli.render.board import Row
    from tests.helpers import run
    from tests.test_actions import view

    with demo_server("--rate", "0") as server:
        incident = first_new(server)
        config = SessionConfig(url=server.url)
        source = schema_source(server.url, {"HOME": "/nonexistent"})
        documents = Documents(source)
        servers = {None: Server(config=config, credentials=StaticCredentials(None), documents=documents, user="dana")}
        actor = ConsoleActor(servers, {"HOME": "/nonexistent"}, read_only=False)
        assert not actor.available()  # the schema is not known yet
        source.view = view()  # as the watch's connection learns it
        assert actor.available()
        assert not ConsoleActor(servers, {}, read_only=True).available()
        row = Row(id=incident["id"], known=Shown(severity=incident["severity"], title=incident["title"], state="NEW"))
        outcome = run(actor.act("take", {}, [row]))
        assert outcome.failed == () and outcome.done[0].startswith(f"assigned {incident['id'][:8]}")
        assert incident["assignedTo"] == "dana"
        described = run(actor.describe(row))
        assert [e["eventType"] for e in described["timeline"]][-1] == "ASSIGNMENT_CHANGED"


def test_the_readmes_pipe_from_list_into_ack_works():
    with demo_server("--rate", "0", "--incidents", "12") as server:
        new = {i["id"] for i in server.simulator.incidents.values() if i["state"] == "NEW" and i["labels"]["team"] == "payments"}
        assert new
        listed = on(server, "list", "--team", "payments", "--state", "NEW", "-o", "json", "--jq", ".incident_id")
        assert listed.returncode == 0, listed.stderr
        acked = on(server, "ack", "-", "--yes", stdin=listed.stdout)
        assert acked.returncode == 0, acked.stderr
        assert all(server.simulator.incidents[key]["state"] == "INVESTIGATING" for key in new)
        assert len(server.mutations) == len(new)


def test_hostile_titles_reach_the_terminal_as_text_in_every_line_an_action_prints():
    with demo_server("--rate", "0", "--hostile-titles") as server:
        incident = first_new(server)
        acked = on(server, "ack", incident["id"][:8], "-o", "text")
        again = on(server, "ack", incident["id"][:8])
        assert acked.returncode == 0 and again.returncode == 0
        for said in (acked.stdout, again.stderr):
            assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
        from incident_cli.sanitize import sanitize

        assert sanitize(incident["title"], max_length=80) in acked.stdout  # its text, every control made visible


def test_a_bulk_action_says_each_failure_once_and_ends_with_the_count_and_the_first_failures_status():
    with demo_server("--rate", "0", "--fault", "mutation_fault=fail") as server:
        new = [i["id"] for i in server.simulator.incidents.values() if i["state"] == "NEW"][:2]
        result = on(server, "ack", *new, "--yes")
        lines = result.stderr.splitlines()
        assert result.returncode == 75
        assert sum("did not take effect" in line for line in lines) == 2 and lines[-1].endswith("2 of 2 incidents failed (each said above)")
        assert server.mutations == []


def test_the_consoles_actor_tells_a_note_from_a_failure_by_what_it_is_not_by_the_words_of_a_title():
    from incident_cli.act import ConsoleActor, Server
    from incident_cli.driver.credentials import StaticCredentials
    from incident_cli.driver.options import SessionConfig
    from incident_cli.memory import Shown
    from incident_cli.render.board import Row
    from tests.helpers import run

    with demo_server("--rate", "0", "--incidents", "30") as server:
        incident = next(i for i in server.simulator.incidents.values() if "error" in i["title"] and i["state"] == "NEW")
        incident["state"] = "INVESTIGATING"  # acknowledged already: a note, not a failure
        servers = {None: Server(config=SessionConfig(url=server.url), credentials=StaticCredentials(None), documents=None)}
        row = Row(id=incident["id"], known=Shown(severity=incident["severity"], title=incident["title"], state="INVESTIGATING"))
        outcome = run(ConsoleActor(servers, {"HOME": "/nonexistent"}, read_only=False).act("ack", {}, [row]))
        assert outcome.failed == () and "already INVESTIGATING" in outcome.done[0]


@pytest.mark.parametrize("variant", ["reference", "drifted"])
def test_every_command_works_on_both_schema_variants(variant):
    with demo_server("--rate", "0", "--schema-variant", variant) as server:
        incident = first_new(server, severity="P1")
        short = incident["id"][:8]
        for args in (["ack", short], ["take", short, "--as", "dana"], ["assign", short, "--to", "emeka", "--force"],
                     ["comment", short, "-m", "looking"], ["escalate", short, "P0", "--reason", "wider", "--yes"],
                     ["resolve", short, "--notes", "rolled back", "--method", "assisted", "--yes"]):
            result = on(server, *args, "-o", "json")
            assert result.returncode == 0, (args, result.stderr)
            assert json.loads(result.stdout)["id"] == incident["id"]
        assert server.mutations == ["updateIncident", "assignIncident", "assignIncident", "addComment", "escalateIncident",
                                    "resolveIncident"]
        assert incident["state"] == "RESOLVED" and incident["severity"] == "P0" and incident["assignees"] == ["emeka"]
        assert incident["resolution"]["resolutionMethod"] == "AUTO_ASSISTED_MANUAL"
