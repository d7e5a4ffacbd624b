"""Long output on a terminal goes through a pager, as git's does; short output and pipes do not.

``$INCIDENTS_PAGER``, else ``$PAGER``, else ``less``, with git's ``LESS=FRX`` unless the user
set ``LESS``. A pager that cannot be run is no reason to lose the output: it is printed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping

from rich.console import Console, RenderableType

from incident_cli.render import Streams

Pager = Callable[[str, Mapping[str, str]], bool]
DIRECT = ("", "cat")  # pagers that are no pager: write straight to the terminal


def print_paged(console: Console, streams: Streams, renderable: RenderableType, *, page: Pager | None = None) -> None:
    """``renderable`` on ``streams.stdout``, through the pager when it is taller than the terminal."""
    with console.capture() as captured:
        console.print(renderable)
    text = captured.get()
    fits = not console.is_terminal or text.count("\n") < console.size.height
    if fits or not (page or run_pager)(text, streams.environ):
        streams.stdout.write(text)
        streams.stdout.flush()


def run_pager(text: str, environ: Mapping[str, str]) -> bool:
    """Show ``text`` through the user's pager; False when there is none to run."""
    command = environ.get("INCIDENTS_PAGER", environ.get("PAGER", "less")).strip()
    if command in DIRECT or shutil.which(command.split()[0], path=environ.get("PATH")) is None:
        return False
    # git's LESS default: quit when it fits, keep the colours, leave the text on the screen.
    pager_env = {**environ, "LESS": environ.get("LESS", "FRX")}
    try:
        subprocess.run(command, shell=True, input=text, text=True, env=pager_env, check=False)
    except OSError:
        return False
    return True
