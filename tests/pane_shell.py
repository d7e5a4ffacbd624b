"""A stand-in for the shell in a tmux pane: runs a command and writes its exit status to a file.

``forward``: pass SIGHUP on to the command when the pane closes, as bash does with its jobs.
``ignore``: the command runs in a process group of its own, which tmux's hang-up does not
reach (as with nohup, or a shell that keeps it to itself): it only finds out from its
terminal. Usage: python pane_shell.py forward|ignore STATUS_FILE CMD...
"""

import signal
import subprocess
import sys

mode, status_file, command = sys.argv[1], sys.argv[2], sys.argv[3:]
child = None


def hang_up(_signum, _frame):
    if mode == "forward" and child is not None:
        child.send_signal(signal.SIGHUP)


signal.signal(signal.SIGHUP, hang_up)
child = subprocess.Popen(command, stderr=open(status_file + ".err", "w"),
                         preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
                         process_group=0 if mode == "ignore" else None)
while True:
    try:
        status = child.wait()
        break
    except InterruptedError:
        continue
with open(status_file, "w") as out:
    out.write(str(status))
