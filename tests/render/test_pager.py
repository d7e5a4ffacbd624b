"""The pager: the user's, with git's LESS default, and the text printed when there is none."""

import io
import os

from rich.text import Text

from incident_cli.render import Streams
from incident_cli.render.pager import print_paged, run_pager
from incident_cli.render.terminal import make_console


def test_the_users_pager_gets_the_text_and_gits_less_default(tmp_path):
    seen = tmp_path / "seen"
    environ = {"PATH": os.environ["PATH"], "PAGER": f'sh -c \'echo "LESS=$LESS"; cat\' > {seen}'}
    assert run_pager("one\ntwo\n", environ) is True
    assert seen.read_text() == "LESS=FRX\none\ntwo\n"
    assert run_pager("x\n", {**environ, "LESS": "R"}) and seen.read_text() == "LESS=R\nx\n"  # the user's LESS wins


def test_no_pager_to_run_means_the_text_is_printed():
    assert run_pager("x", {"PATH": "/nonexistent", "PAGER": "less"}) is False
    assert run_pager("x", {"PAGER": "cat"}) is False and run_pager("x", {"INCIDENTS_PAGER": ""}) is False

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stdout = Terminal()
    environ = {"LINES": "3", "COLUMNS": "40", "PATH": "/nonexistent"}
    console = make_console(stdout, color="never", environ=environ)
    print_paged(console, Streams(stdout=stdout, stderr=io.StringIO(), environ=environ), Text("a\nb\nc\nd\ne"))
    assert stdout.getvalue() == "a\nb\nc\nd\ne\n"  # taller than the terminal, and no pager: all of it, printed
