import io
from datetime import UTC, datetime

from incident_cli import model
from incident_cli.memory import Memory
from incident_cli.render.terminal import make_console
from incident_cli.render.text import TextLines

T0 = datetime(2026, 11, 27, 12, 0, 5, tzinfo=UTC)


def lines(events, color="never"):
    stream = io.StringIO()
    out = TextLines(make_console(stream, color=color, environ={}))
    for event in events:
        out.write(event)
    return stream.getvalue()


def test_one_line_per_event_with_titles_remembered():
    local = T0.astimezone().strftime("%H:%M:%S")
    text = lines(
        [
            model.stream_event("newIncidents", {"newIncidents": {"id": "abcdef123456", "severity": "P1", "title": "db down", "state": "NEW"}}, T0),
            model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "abcdef123456", "updateType": "ASSIGNED"}}, T0),
            model.stream_event("incidentStateChanges", {"incidentStateChanges": {"incidentId": "abcdef123456", "oldState": "NEW", "newState": "INVESTIGATING", "changedBy": "bob"}}, T0),
            model.stream_event("alerts", {"alerts": {"id": "al1", "severity": "P3", "title": "cpu", "source": "prom"}}, T0),
            model.stream_event("custom", {"a": 1, "b": 2}, T0),
        ]
    )
    assert text.splitlines() == [
        f"{local} P1 opened  abcdef12 db down (NEW)",
        f"{local} ? update  abcdef12 ASSIGNED  db down",
        f"{local} ? state   abcdef12 NEW \u2192 INVESTIGATING by bob  db down",
        f"{local} P3 alert   al1 cpu (prom)",
        f'{local} ? data    - {{"a":1,"b":2}}',
    ]


def test_plain_when_piped_coloured_when_forced_never_wrapped_never_unsafe():
    title = "x" * 300 + " \x1b[2J \x1b]52;c;Zm9v\x07"
    event = model.stream_event("newIncidents", {"newIncidents": {"id": "i", "severity": "P0", "title": title}}, T0)
    plain = lines([event])
    assert "\x1b" not in plain and len(plain.splitlines()) == 1
    coloured = lines([event], color="always")
    assert "\x1b[" in coloured and "\x1b[2J" not in coloured and "\x1b]52" not in coloured


def test_template_lines_and_time_formats():
    from incident_cli.render.template import check, render, view

    event = model.stream_event(
        "newIncidents",
        {"newIncidents": {"id": "abc", "severity": "P0", "title": "db \x1b[2J down", "state": "NEW", "labels": {"team": "sre"},
                          "affectedResources": ["db", "api"]}},
        T0,
    )
    stream = io.StringIO()
    out = TextLines(make_console(stream, color="never", environ={}), template=check("{severity} {title} ({state}) [{data.labels.team}] {data.affectedResources.1} {{x}}"),
                    time_format="utc")
    out.write(event)
    assert stream.getvalue() == "P0 db ^[[2J down (NEW) [sre] api {x}\n"
    assert render("{data.missing.deep}|{id}", view(event, None, "t")) == "|abc"
    import pytest

    from incident_cli.errors import UsageError

    for bad in ("{nope}", "{title", "}", "{severity!r}"):  # a width is fine now (test_template.py), a conversion is not
        with pytest.raises(UsageError):
            check(bad)


def test_time_formats():
    stream = io.StringIO()
    started = T0
    out = TextLines(make_console(stream, color="never", environ={}), time_format="relative", clock=lambda: started)
    later = T0.replace(second=T0.second + 3)
    assert out.stamp(later) == "+3.0s"
    assert TextLines(make_console(io.StringIO(), color="never", environ={}), time_format="utc").stamp(T0) == "12:00:05Z"


def test_with_the_watchs_memory_an_update_names_an_incident_this_output_never_showed():
    memory = Memory()
    # seen by the watch (say, before a filter dropped it, or in a listing), never written here
    memory.observe(model.stream_event("newIncidents", {"newIncidents": {"id": "abcdef123456", "title": "disk full"}}, T0))
    stream = io.StringIO()
    out = TextLines(make_console(stream, color="never", environ={}), memory=memory)
    out.write(model.stream_event("incidentUpdates", {"incidentUpdates": {"incidentId": "abcdef123456", "updateType": "ASSIGNED"}}, T0))
    assert stream.getvalue().rstrip().endswith("ASSIGNED  disk full")
