"""Which columns a pane shows: width to the title first, the least useful dropped first."""

from datetime import UTC, datetime

import pytest

from incident_cli.errors import UsageError
from incident_cli.memory import Shown
from incident_cli.render.board import Row
from incident_cli.render.column_names import parse_columns, parse_label_key
from incident_cli.render.columns import (
    COLUMNS,
    DEFAULT,
    GAP,
    TITLE_CAP,
    TITLE_FLOOR,
    TITLE_SHARE,
    choose,
    label_column,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def keys(width, **kwargs):
    return [column.key for column in choose(kwargs.pop("columns", ()), kwargs.pop("labels", ()), width=width,
                                            several=kwargs.pop("several", False))]


@pytest.mark.parametrize(("width", "expected"), [
    (70, ["sev", "id", "title", "state", "age"]),
    (80, ["sev", "id", "title", "team", "state", "age"]),
    (120, ["sev", "id", "title", "owner", "team", "state", "age", "last"]),
    (160, [key for key in DEFAULT if key != "resources"]),
    (170, list(DEFAULT)),
])
def test_narrow_panes_keep_state_and_age_longest_and_drop_resources_first(width, expected):
    assert keys(width) == expected


@pytest.mark.parametrize("width", range(44, 240, 7))
def test_the_title_always_gets_its_share(width):
    columns = choose((), (), several=False, width=width)
    fixed = sum(column.width for column in columns) + GAP * (len(columns) - 1)
    assert width - fixed >= min(TITLE_CAP, max(TITLE_FLOOR, int(width * TITLE_SHARE)))  # what is left is the title's
    assert {"sev", "id", "title"} <= {c.key for c in columns}


def test_several_servers_add_the_source_beside_the_severity():
    assert keys(200, several=True)[:3] == ["sev", "source", "id"]


def test_label_columns_come_last_and_go_before_the_core_ones():
    assert keys(200, labels=("env", "region"))[-2:] == ["label:env", "label:region"]
    assert "label:env" not in keys(100, labels=("env",)) and "owner" in keys(100, labels=("env",))


def test_a_chosen_list_is_kept_in_its_order():
    assert keys(200, columns=("title", "sev", "owner")) == ["title", "sev", "owner"]


def test_parse_columns_checks_names_and_keeps_the_first_of_repeats():
    assert parse_columns(" Sev, title,owner ,sev") == ("sev", "title", "owner")
    assert parse_columns(None) == () and parse_columns("  ") == ()
    with pytest.raises(UsageError, match="unknown column 'owners'.*one of: sev, source, id, title"):
        parse_columns("sev,owners")


@pytest.mark.parametrize("bad", ["", " ", "a,b", "k=v", "a\x1bb"])
def test_a_label_key_is_one_printable_key(bad):
    with pytest.raises(UsageError, match="-L/--label-column needs a label key"):
        parse_label_key(bad)
    assert parse_label_key(" team ") == "team"


def test_cells_are_sanitised_text():
    row = Row(id="abcdef123456", known=Shown(title="[red]x[/] \x1b[2J", assignee="\x1b]0;pwn\x07dana",
                                             labels={"team": "pay\x00ments"}))
    cells = {key: COLUMNS[key].cell(row, NOW).plain for key in ("id", "title", "owner", "team")}
    assert cells["id"] == "abcdef12" and "[red]x[/]" in cells["title"]
    assert all("\x1b" not in text and "\x07" not in text and "\x00" not in text for text in cells.values())
    assert label_column("team").cell(row, NOW).plain == cells["team"]
    assert COLUMNS["owner"].cell(Row(id="x"), NOW).plain == "nobody"  # the one word every view says
