"""The handover in Markdown: readable, and a server string cannot break it or the terminal."""

from datetime import UTC, datetime, timedelta

from incident_cli.handover import summarise
from incident_cli.model import Incident
from incident_cli.render.handover import markdown

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_sections_counts_and_hostile_titles_escaped():
    hostile = Incident(id="8d116ece-x", severity="P0", title="| *bold* [link](x) \x1b]0;t\x07 `code`", state="NEW",
                       created_at=(NOW - timedelta(hours=2)).isoformat(), labels={"team": "pay_ments"})
    text = markdown(summarise([hostile], now=NOW, window=timedelta(hours=8)))
    assert text.startswith("# Handover: 2026-12-01T00:00:00Z to 2026-12-01T08:00:00Z\n")
    assert "opened: **1**, resolved: **0**, still open: **1**" in text and "## Resolved (0 incidents)\n\nnone" in text
    assert "\\| \\*bold\\* \\[link\\](x)" in text and "\\`code\\`" in text and "pay\\_ments" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "open 2 h 00 min" in text
