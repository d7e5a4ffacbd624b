"""Copying an incident's id where the person can paste it, and saying honestly where it went.

Inside tmux, OSC 52 reaches the outer terminal only when tmux's ``set-clipboard`` lets it
(off by default on many setups), so the id goes into tmux's own paste buffer (``load-buffer
-w`` also hands it to the clipboard where tmux can). Outside tmux a clipboard tool does it
(wl-copy, xclip, xsel, pbcopy) where one is installed. Otherwise the caller falls back to
OSC 52 and says it cannot know whether the terminal took it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

TIMEOUT = 2.0  # seconds a copy may take: a console never hangs on its clipboard

TOOLS = (  # (command, how the README names it), first found wins
    (("wl-copy",), "wl-copy"),
    (("xclip", "-selection", "clipboard"), "xclip"),
    (("xsel", "--clipboard", "--input"), "xsel"),
    (("pbcopy",), "pbcopy"),
)


def copy(text: str, environ: Mapping[str, str]) -> str | None:
    """Copy ``text``; where it went (``tmux's paste buffer``, ``the clipboard (wl-copy)``), or
    None when nothing here could take it."""
    path = environ.get("PATH")
    if environ.get("TMUX") and shutil.which("tmux", path=path) and _run(("tmux", "load-buffer", "-w", "-"), text, environ):
        return "tmux's paste buffer"
    wayland, x11 = bool(environ.get("WAYLAND_DISPLAY")), bool(environ.get("DISPLAY"))
    for command, name in TOOLS:
        needs_display = (name == "wl-copy" and not wayland) or (name in ("xclip", "xsel") and not x11)
        if needs_display or shutil.which(command[0], path=path) is None:
            continue
        if _run(command, text, environ):
            return f"the clipboard ({name})"
    return None


def _run(command: tuple[str, ...], text: str, environ: Mapping[str, str]) -> bool:
    try:
        done = subprocess.run(command, input=text, text=True, capture_output=True, timeout=TIMEOUT,
                              env=dict(environ), check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
