"""The console entry point: ``--version`` answered before anything heavy is imported.

Scripts and shell prompts ask for the version often; importing Typer and the commands
for it would take three times as long as the interpreter's own start (issue 7).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from incident_cli import __version__

        try:
            sys.stdout.write(f"incidents {__version__}\n")
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the reader left: nothing more to say (0)
        except (OSError, AttributeError):  # a full disk (74); a stdout the shell closed is None
            if sys.stderr is not None:
                sys.stderr.write("incidents: error: cannot write the output\n")
            os._exit(74)
        return
    from incident_cli.cli.app import main as run_cli

    run_cli()
