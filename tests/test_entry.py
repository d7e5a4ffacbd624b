"""The entry point's --version shortcut says what the Typer app says, without importing it."""

import subprocess
import sys

from typer.testing import CliRunner

from incident_cli import __version__
from incident_cli.cli.app import app


def test_version_shortcut_matches_the_app_and_imports_no_typer():
    probe = (
        "import sys; sys.argv = ['incidents', '--version']\n"
        "from incident_cli.entry import main; main()\n"
        "print(sorted(m for m in ('typer', 'rich', 'asyncio', 'websockets') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    version_line, imported = done.stdout.splitlines()
    assert version_line == f"incidents {__version__}"
    assert imported == "[]"
    assert CliRunner().invoke(app, ["--version"]).stdout.strip() == version_line


def test_anything_else_goes_to_the_app():
    done = subprocess.run(
        [sys.executable, "-m", "incident_cli", "--version", "--help"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"incidents {__version__}"  # the app's eager --version still answers
    bad = subprocess.run([sys.executable, "-m", "incident_cli", "--no-such-flag"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "No such option" in bad.stderr


def test_json_lines_and_text_never_pay_for_the_console_graphql_core_or_jq_and_json_lines_not_for_rich():
    from incident_cli.cli.runtime import GC_THRESHOLD
    from tests.helpers import demo

    probe = (
        "import sys\n"
        "from incident_cli.cli.app import run\n"
        "from incident_cli.env import Env\n"
        "run(sys.argv[1:], Env.from_process())\n"
        "print(sorted(m for m in ('textual', 'graphql', 'jq', 'rich', 'incident_cli.render.console') if m in sys.modules),"
        " file=sys.stderr)\n"
        "import gc; print('collects every', gc.get_threshold()[0], file=sys.stderr)"
    )
    with demo("--rate", "50") as url:
        for mode in ("jsonl", "text"):
            done = subprocess.run([sys.executable, "-c", probe, "watch", "--url", url, "--count", "3", "-o", mode],
                                  capture_output=True, text=True, timeout=30)
            assert len(done.stdout.splitlines()) == 3, done.stderr
            # Rich draws the text lines' colours; JSON lines never import it.
            assert done.stderr.splitlines()[-2] == ("[]" if mode == "jsonl" else "['rich']")
            assert done.stderr.splitlines()[-1] == f"collects every {GC_THRESHOLD}"  # the line outputs' collector
