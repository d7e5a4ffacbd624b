"""A stand-in for the shell in a tmux pane: runs a command and writes its exit status to a file.

``forward``: pass SIGHUP on to the command when the pane closes, as bash does with its jobs.
``ignore``: the command runs in a session of its own, which tmux's hang-up does not reach
(as under a shell that keeps the hang-up to itself): it only finds out from its terminal. With ``forward-tty`` or ``ignore-tty`` the command keeps the terminal as its
stderr (the console draws there), and nothing it says is kept.
Usage: python pane_shell.py forward|ignore[-tty] STATUS_FILE CMD...
"""

import signal
import subprocess
import sys

mode, status_file, command = sys.argv[1], sys.argv[2], sys.argv[3:]
keep_tty = mode.endswith("-tty")
mode = mode.removesuffix("-tty")
child = None


def hang_up(_signum, _frame):
    if mode == "forward" and child is not None:
        child.send_signal(signal.SIGHUP)


signal.signal(signal.SIGHUP, hang_up)
child = subprocess.Popen(command, stderr=None if keep_tty else open(status_file + ".err", "w"),
                         preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
                         start_new_session=mode == "ignore")
while True:
    try:
        status = child.wait()
        break
    except InterruptedError:
        continue
with open(status_file, "w") as out:
    out.write(str(status))
