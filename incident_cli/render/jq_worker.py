"""The --jq program's own process: records in on stdin, their output lines back, one at a time.

libjq runs a program without ever giving Python's interpreter back, so a program that never
ends (``def f: f; f``) in our process would stop signals, Ctrl-C included, from being acted
on. Here it can only stop this process, which the watch kills when a record's time is up.
Framing: a record is one JSON line in; the answer is ``b"<length>\\n"`` then that many bytes
of output lines, or ``b"E<length>\\n"`` then jq's error message.
"""

from __future__ import annotations

import sys

import jq
import orjson

from incident_cli.render.jq_lines import line


def main(expression: str, terminal: bool) -> None:
    program = jq.compile(expression)
    read, write = sys.stdin.buffer.readline, sys.stdout.buffer
    while record := read():
        try:
            answer = b"".join(line(value, terminal) for value in program.input_value(orjson.loads(record)).all())
            head = b"%d\n" % len(answer)
        except ValueError as error:  # jq's own runtime error for this record
            answer = str(error).encode("utf-8", "replace")
            head = b"E%d\n" % len(answer)
        write.write(head + answer)
        write.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "terminal")
