"""y's copy: tmux's buffer inside tmux, a clipboard tool outside, None where nothing can take it."""

import os
import shutil
import stat

from incident_cli.render.clipboard import copy


def fake_tool(folder, name, fails=False):
    """A stand-in for tmux or wl-copy: what it is given on stdin lands in a file beside it."""
    script = folder / name
    script.write_text(f"#!/bin/sh\n{shutil.which('cat')} > {folder / (name + '.got')}\necho \"$@\" > {folder / (name + '.args')}\n"
                      + ("exit 1\n" if fails else ""))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder / (name + ".got")


def test_inside_tmux_the_id_goes_into_tmuxs_buffer(tmp_path):
    got = fake_tool(tmp_path, "tmux")
    where = copy("8d116ece-1738", {"PATH": str(tmp_path), "TMUX": "/tmp/tmux-0/default,1,0"})
    assert where == "tmux's paste buffer" and got.read_text() == "8d116ece-1738"
    assert (tmp_path / "tmux.args").read_text().split() == ["load-buffer", "-w", "-"]


def test_outside_tmux_a_clipboard_tool_for_the_display_there_is(tmp_path):
    got = fake_tool(tmp_path, "wl-copy")
    fake_tool(tmp_path, "xclip")
    assert copy("abc", {"PATH": str(tmp_path), "WAYLAND_DISPLAY": "wayland-0"}) == "the clipboard (wl-copy)"
    assert got.read_text() == "abc"
    assert copy("abc", {"PATH": str(tmp_path), "DISPLAY": ":0"}) == "the clipboard (xclip)"  # no Wayland: X's tool


def test_nothing_to_copy_with_or_a_tool_that_fails_is_said_as_none(tmp_path):
    assert copy("abc", {"PATH": str(tmp_path)}) is None
    fake_tool(tmp_path, "tmux", fails=True)
    assert copy("abc", {"PATH": str(tmp_path), "TMUX": "x"}) is None
    assert copy("abc", {"PATH": os.devnull, "TMUX": "x", "DISPLAY": ":0"}) is None
