"""The one-shot list: every row once, paged only when it is taller than the terminal."""

import io
from datetime import UTC, datetime

from incident_cli import model
from incident_cli.incident_filter import parse_filter
from incident_cli.render import OutputSpec, Streams
from incident_cli.render.listing import run_listing
from tests.helpers import run

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def listed(n, title="service {i}: disk almost full"):
    return [model.IncidentSeen(subscription=model.Label.BACKFILL, received_at=T0, severity=f"P{i % 5}",
                               data={"id": f"{i:08x}-0000-4000-8000-000000000000", "title": title.format(i=i),
                                     "severity": f"P{i % 5}", "state": "NEW", "labels": {"team": "sre"},
                                     "createdAt": "2026-12-01T11:00:00Z"})
            for i in range(n)]


def listing(events, *, stdout=None, lines=10, spec=None):
    stdout = stdout if stdout is not None else Terminal()
    streams = Streams(stdout=stdout, stderr=io.StringIO(), environ={"LINES": str(lines), "COLUMNS": "100", "TERM": "xterm"})
    paged = []

    def page(text, environ):
        paged.append(text)
        return True

    async def feed(output):
        for event in events:
            output.write(event)

    run(run_listing(spec or OutputSpec(mode="table", listing=True, color="never"), streams, feed, clock=lambda: T0, page=page))
    return stdout.getvalue(), streams.stderr.getvalue(), paged


def test_a_list_taller_than_the_terminal_goes_to_the_pager_whole():
    out, _, paged = listing(listed(30))
    assert out == "" and len(paged) == 1
    assert all(f"{i:08x}" in paged[0] for i in range(30))  # never cropped, no "+N more"
    assert "30 incidents: P0 6, P1 6, P2 6, P3 6, P4 6" in paged[0] and "more" not in paged[0]


def test_a_list_that_fits_or_a_pipe_is_printed_straight():
    out, _, paged = listing(listed(3))
    assert paged == [] and "3 incidents" in out
    piped, _, paged = listing(listed(30), stdout=io.StringIO())
    assert paged == [] and all(f"{i:08x}" in piped for i in range(30))


def test_an_empty_list_says_so_on_stderr_with_its_filter():
    spec = OutputSpec(mode="table", listing=True, only=parse_filter(team="payments"))
    out, err, _ = listing([], spec=spec)
    assert out == "" and "no incidents to list (only team payments)" in err


def test_hostile_titles_are_listed_literally():
    out, _, _ = listing(listed(2, title="\x1b]0;owned\x07[bold red]{i}[/]"), lines=50)
    assert "\x1b]" not in out and "\x07" not in out and "[bold red]" in out
