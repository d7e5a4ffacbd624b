"""The console entry point: ``--version`` answered before anything heavy is imported.

Scripts and shell prompts ask for the version often; importing Typer and the commands
for it would take three times as long as the interpreter's own start (issue 7).
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from incident_cli import __version__

        sys.stdout.write(f"incidents {__version__}\n")
        return
    from incident_cli.cli.app import main as run_cli

    run_cli()
