import pytest

from incident_cli.durations import parse_duration
from incident_cli.errors import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25), ("2", 2), ("1.5s", 1.5), ("1d", 86400)],
)
def test_durations(text, expected):
    assert parse_duration(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "5x", "-3", "0", "m5", "5m junk", "nan", "inf"])
def test_bad_durations(text):
    with pytest.raises(UsageError):
        parse_duration(text, option="--for")
