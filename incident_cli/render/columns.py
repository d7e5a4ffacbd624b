"""The table's columns: what each shows, which a user picks, and which fit a pane.

Width goes to the title first: when a pane cannot give the title its share, the least
useful columns are dropped, one at a time (resources, type, label columns, last change,
owner, team, source, age, state), never the severity, the id or the title: what is left
longest says which incidents, how bad, in what state and since when. ``-L KEY`` adds a label
column, as kubectl's does; ``--columns`` picks and orders them. Cells are sanitised
``Text``: server strings never reach the terminal as markup or control sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text

from incident_cli.render.board import Row
from incident_cli.render.column_names import DEFAULT
from incident_cli.render.terminal import ago, middle, safe_text, severity_text, short_id
from incident_cli.sanitize import sanitize
from incident_cli.values import frozen
from incident_cli.wording import NOBODY

GAP = 3  # characters between two columns, as the table draws them
TITLE_FLOOR, TITLE_CAP, TITLE_SHARE = 20, 40, 0.25  # the title's share of the width: 25%, within 20..40
NO_DETAILS = "(no details: the server did not describe it)"


@frozen
class Column:
    """One column of the table: its header, width, when it is dropped and its cell."""

    key: str
    header: str
    width: int  # 0: the title, which takes what is left
    drop: int  # the higher, the sooner it goes from a narrow pane; 0 never
    cell: Callable[[Row, datetime], Text]


def _title(row: Row, now: datetime) -> Text:
    # An event reaches the board after its lookup, answered or not: a row without a title
    # will not get one by waiting, so it never claims to be fetching.
    if row.title is None:
        return Text(NO_DETAILS, style="dim italic")
    return safe_text(row.title, max_length=300)


def _owner(row: Row, now: datetime) -> Text:
    return safe_text(row.owner, max_length=60) if row.owner else Text(NOBODY, style="dim")


def _last(row: Row, now: datetime) -> Text:
    # What changed first, and of a state change the state it reached (``→IDENTIFIED 2s``): a cut
    # takes the end, and the old state is what matters least.
    change = row.last_change or ""
    if "\u2192" in change:
        change = "\u2192" + change.rsplit("\u2192", 1)[1]
    return Text(f"{sanitize(change, max_length=40)} {ago(row.last_activity, now)}".strip())


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column(key="sev", header="SEV", width=3, drop=0, cell=lambda row, now: severity_text(row.severity)),
        # Several servers often differ only at the end (127.0.0.1:18080, :18081): cut from the middle.
        Column(key="source", header="SOURCE", width=10, drop=3, cell=lambda row, now: Text(middle(row.source or "", 10))),
        Column(key="id", header="ID", width=8, drop=0, cell=lambda row, now: Text(short_id(row.id))),
        Column(key="title", header="TITLE", width=0, drop=0, cell=_title),
        Column(key="owner", header="OWNER", width=10, drop=5, cell=_owner),
        Column(key="team", header="TEAM", width=9, drop=4, cell=lambda row, now: safe_text(row.team or "-", max_length=60)),
        Column(key="state", header="STATE", width=13, drop=1, cell=lambda row, now: safe_text(row.state or "?", max_length=20)),
        Column(key="type", header="TYPE", width=14, drop=8, cell=lambda row, now: safe_text(row.category, max_length=20)),
        Column(key="resources", header="RESOURCES", width=16, drop=9,
               cell=lambda row, now: safe_text(", ".join(row.resources), max_length=120)),
        Column(key="age", header="AGE", width=4, drop=2, cell=lambda row, now: Text(ago(row.opened, now))),
        Column(key="last", header="LAST", width=17, drop=6, cell=_last),
    )
}


def label_column(key: str) -> Column:
    header = sanitize(key.upper(), max_length=16)
    return Column(key=f"label:{key}", header=header, width=max(8, min(len(header), 16)), drop=7,
                  cell=lambda row, now: safe_text(row.labels.get(key, ""), max_length=60))


def choose(keys: tuple[str, ...], labels: tuple[str, ...], *, several: bool, width: int) -> list[Column]:
    """The columns to draw in ``width`` characters: the user's (or the default), the server's
    name when several are watched, label columns at the end; the least useful dropped until
    the title gets its share."""
    chosen = [COLUMNS[key] for key in (keys or DEFAULT)]
    if several and not keys:
        chosen.insert(1, COLUMNS["source"])
    chosen += [label_column(key) for key in labels]
    has_title = any(column.width == 0 for column in chosen)
    title = max(TITLE_FLOOR, min(TITLE_CAP, int(width * TITLE_SHARE))) if has_title else 0
    while _needed(chosen, title) > width:
        droppable = [column for column in chosen if column.drop > 0]
        if not droppable:
            break
        chosen.remove(max(reversed(droppable), key=lambda column: column.drop))
    return chosen


# Columns that take the width the title does not need, most wanted first, each up to its text.
GROWS = ("last", "resources", "owner", "team", "type", "state")


def share(columns: list[Column], widths: list[int], wanted: dict[str, int]) -> list[int]:
    """``widths`` (the title's is all that is left) given over to what the rows show: the title
    keeps what its longest text needs (at least TITLE_FLOOR), and what it does not need goes to
    the columns in GROWS whose text is cut, up to their longest."""
    keys = [column.key for column in columns]
    if "title" not in keys:
        return widths
    place = keys.index("title")
    result = list(widths)
    spare = result[place] - max(TITLE_FLOOR, wanted.get("title", 0))
    for key in GROWS:
        if spare <= 0:
            break
        if key in keys:
            at = keys.index(key)
            grow = min(spare, max(0, wanted.get(key, 0) - result[at]))
            result[at] += grow
            result[place] -= grow
            spare -= grow
    return result


def _needed(columns: list[Column], title: int) -> int:
    return sum(column.width or title for column in columns) + GAP * (len(columns) - 1)
