"""cli/act.py: how ids and messages are gathered (stdin, $EDITOR) before anything is sent."""

import io
import os
import stat

from tests.helpers import demo_server, incidents

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}


class Terminal(io.StringIO):
    def isatty(self):
        return True


def new_incident(server):
    return next(i for i in server.simulator.incidents.values() if i["state"] == "NEW")


def comments(incident):
    return [e["description"] for e in incident.get("timeline", []) if e["eventType"] == "COMMENT_ADDED"]


def test_a_comment_from_stdin_and_an_empty_one_aborts_with_1():
    with demo_server("--rate", "0") as server:
        incident = new_incident(server)
        said = incidents("comment", incident["id"][:8], "-m", "-", "--url", server.url, input="line one\nline two\n", env=CLEAN)
        assert said.returncode == 0, said.stderr
        assert comments(incident) == ["line one\nline two"]
        empty = incidents("comment", incident["id"][:8], "-m", "-", "--url", server.url, input="  \n", env=CLEAN)
        assert empty.returncode == 1 and "empty" in empty.stderr and server.mutations == ["addComment"]
        piped = incidents("comment", incident["id"][:8], "--url", server.url, env=CLEAN)  # no -m, no terminal
        assert piped.returncode == 2 and "-m" in piped.stderr
        both = incidents("comment", "-", "-m", "-", "--url", server.url, input=incident["id"], env=CLEAN)
        assert both.returncode == 2 and "not both" in both.stderr and server.mutations == ["addComment"]


def test_without_m_on_a_terminal_the_editor_writes_the_comment_and_its_hash_lines_are_left_out(tmp_path):
    from incident_cli.cli.app import run
    from incident_cli.env import Env

    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf "rolled back\\n# not this\\n" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    with demo_server("--rate", "0") as server:
        incident = new_incident(server)
        env = Env(stdin=Terminal(), stdout=Terminal(), stderr=Terminal(), environ={**CLEAN, "EDITOR": str(editor)})
        assert run(["comment", incident["id"][:8], "--url", server.url], env) == 0, env.stderr.getvalue()
        assert comments(incident) == ["rolled back"]


def test_ids_from_stdin_skip_blank_and_comment_lines_and_quotes_and_none_is_a_usage_error():
    with demo_server("--rate", "0") as server:
        incident = new_incident(server)
        piped = f'\n# from jq\n"{incident["id"]}"\n'
        acked = incidents("ack", "-", "--url", server.url, input=piped, env=CLEAN)
        assert acked.returncode == 0, acked.stderr
        assert incident["state"] == "INVESTIGATING"
        none = incidents("ack", "-", "--url", server.url, input="\n", env=CLEAN)
        assert none.returncode == 2 and "no incident ids" in none.stderr
