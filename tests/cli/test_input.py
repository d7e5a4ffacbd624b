"""Bad input gets a usage error, never an internal one: a property over every option that parses a value.

Each parser either returns a value or raises UsageError with one printable line; the CLI,
run in-process, turns every value a parser rejects into exit 2, one line on stderr and no
traceback, before anything is connected.
"""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from incident_cli.cli.app import app
from incident_cli.durations import parse_duration
from incident_cli.errors import UsageError
from incident_cli.operations import parse_severities, parse_streams, parse_variables
from incident_cli.settings import normalise_url, parse_size

NOWHERE = "ws://127.0.0.1:9/graphql/ws"

PARSERS = {
    "--url": normalise_url,
    "--for": parse_duration,
    "--idle-exit": parse_duration,
    "--since": parse_duration,
    "--keep-resolved": parse_duration,
    "--exec-timeout": parse_duration,
    "--ping-interval": parse_duration,
    "--ping-timeout": parse_duration,
    "--connect-timeout": parse_duration,
    "--max-message-size": parse_size,
    "--severity": parse_severities,
    "--fail-on": lambda text: parse_severities(text, option="--fail-on"),
    "--subscribe": lambda text: parse_streams([text]),
    "--var": lambda text: parse_variables([text], None),
    "--variables": lambda text: parse_variables(None, text),
}

# Text users paste, and text nobody should: digits, units, URL pieces, JSON, controls, anything.
values = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.-+eEinfatmsdhKMGiBbP,:/[]{}@?#= \t\x00\x1b\u202e\ud800", max_size=24),
    st.from_regex(r"(ws|wss|http|ftp)://[a-z0-9.\[\]:@ -]{0,20}(/[a-z]*)?", fullmatch=True),
)


def rejects(parser, text):
    try:
        parser(text)
    except UsageError as error:
        assert "\n" not in error.message and error.message.isprintable(), repr(error.message)
        return True
    return False


@pytest.mark.parametrize("option", sorted(PARSERS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=values)
def test_every_parser_returns_or_says_why_in_one_line(option, text):
    rejects(PARSERS[option], text)  # any other exception fails the test


@pytest.mark.parametrize("option", sorted(PARSERS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(text=values)
def test_every_rejected_value_is_exit_2_with_one_line_and_no_traceback(option, text, tmp_path_factory):
    assume("\x00" not in text)  # argv cannot carry a NUL
    assume(rejects(PARSERS[option], text))
    args = ["watch", f"{option}={text}"]
    if option != "--url":
        args += ["--url", NOWHERE]
    if option in ("--var", "--variables"):
        args += ["-q", "-"]  # they go with a query document
    config = tmp_path_factory.getbasetemp() / "no-config.toml"
    result = CliRunner().invoke(app, args, input="subscription { newIncidents { id } }",
                                env={"INCIDENTS_CONFIG": str(config), "INCIDENTS_URL": "", "INCIDENTS_TOKEN": ""})
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (args, result.exit_code, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("incidents: usage error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_cases_found_by_hand():
    for option, text, said in (
        ("--url", "wss://[::1", "--url has an unreadable host or port"),
        ("--url", "not a url", "--url cannot contain spaces"),
        ("--url", "ws://h:99999", "--url has an invalid port"),
        ("--url", "ftp://h", "must be a ws:// or wss:// URL"),
        ("--severity", "", "--severity needs at least one severity"),
        ("--fail-on", " , ", "--fail-on: invalid severity"),
        ("--max-message-size", "1e400", "out of range"),
        ("--for", "99999999999999999999999d", "longer than a year"),
        ("--variables", "[" * 100_000, "not valid JSON"),
        ("--var", "n:=NaN", "not valid JSON"),
    ):
        with pytest.raises(UsageError, match=said):
            PARSERS[option](text)
    assert normalise_url("münchen.de:8080") == "ws://münchen.de:8080/graphql/ws"  # international names are names
    assert normalise_url("[::1]:8080") == "ws://[::1]:8080/graphql/ws"
