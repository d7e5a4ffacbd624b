import io
from datetime import UTC, datetime, timedelta

from rich.text import Text

from incident_cli.render.terminal import ago, make_console, safe_text, severity_text, short_id

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def printed(console_kwargs, environ):
    stream = io.StringIO()
    console = make_console(stream, environ=environ, **console_kwargs)
    console.print(severity_text("P0"))
    return stream.getvalue()


def test_colour_choices_and_environment():
    assert "\x1b[" in printed({"color": "always"}, {})
    assert "\x1b[" not in printed({"color": "never"}, {})
    assert "\x1b[" not in printed({"color": "auto"}, {})  # not a terminal
    assert "\x1b[" in printed({"color": "always"}, {"NO_COLOR": "1"})  # the flag beats the environment
    assert "\x1b[" not in printed({"color": "auto"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" in printed({"color": "auto"}, {"FORCE_COLOR": "1"})


def test_console_interprets_no_markup_or_emoji():
    stream = io.StringIO()
    console = make_console(stream, color="never", environ={})
    console.print("[bold]x[/] :fire:")
    assert stream.getvalue() == "[bold]x[/] :fire:\n"


def test_small_helpers():
    assert severity_text("P1").plain == "P1" and severity_text(None).plain == "?"
    assert severity_text("\x1b[31m").plain.startswith("^[")
    assert isinstance(safe_text("\x07"), Text) and safe_text("\x07").plain == "^G"
    assert short_id("0becd7b0-3898-4190") == "0becd7b0" and short_id(None) == "?"
    assert [ago(NOW - timedelta(seconds=s), NOW) for s in (5, 125, 7300, 200000)] == ["5s", "2m", "2h", "2d"]
    assert ago(None, NOW) == "?"




def test_names_that_differ_at_the_end_are_cut_from_the_middle():
    from incident_cli.render.terminal import middle

    first, second = middle("127.0.0.1:18080", 10), middle("127.0.0.1:18081", 10)
    assert first != second and len(first) == len(second) == 10 and first.endswith("18080")
    assert middle("prod", 10) == "prod"
    assert "\x1b" not in middle("\x1b[2Jabcdefghijkl", 10)
