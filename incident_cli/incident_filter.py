"""Filters beyond severity: team, labels, state, assignee and text, checked on the client.

The server's subscriptions take no such arguments, so every output (table, text, JSON
lines) is filtered here, against the incident memory: an update names only its incident,
and what the memory knows of that incident decides. When the memory has no description
of it yet, the answer is "not known" and the watch looks the incident up, as it does for
a severity. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from incident_cli.errors import UsageError
from incident_cli.memory import Known
from incident_cli.values import frozen

NOBODY = "none"  # --assignee none: incidents nobody owns


@frozen
class IncidentFilter:
    """The filters beyond severity: team, labels, state, owner, text."""

    teams: frozenset[str] = frozenset()  # casefolded
    labels: tuple[tuple[str, str], ...] = ()  # (key, value): every pair must hold
    states: frozenset[str] = frozenset()  # upper case
    assignees: frozenset[str] = frozenset()  # casefolded; NOBODY for unassigned
    grep: str = ""  # casefolded

    def __bool__(self) -> bool:
        return bool(self.teams or self.labels or self.states or self.assignees or self.grep)

    def decide(self, known: Known | None) -> bool | None:
        """Does the incident pass? None: not described yet (look it up, or hold the event)."""
        if known is None or not known.described:
            return None
        return self.matches(title=known.title, assignee=known.assignee, labels=known.labels, state=known.state)

    def matches(self, *, title: str | None, assignee: str | None, labels: Mapping[str, str], state: str | None) -> bool:
        """The filter against what is known of one incident (the memory's record, or a table row)."""
        team = labels.get("team")
        if self.teams and (team or "").casefold() not in self.teams:
            return False
        if any(labels.get(key) != value for key, value in self.labels):
            return False
        if self.states and (state or "").upper() not in self.states:
            return False
        if self.assignees and ((assignee or "").casefold() or NOBODY) not in self.assignees:
            return False
        searched = (text for text in (title, assignee, state, *labels.values()) if text)
        return not self.grep or any(self.grep in text.casefold() for text in searched)

    def describe(self) -> str:
        """For the status line: ``team payments, state NEW|INVESTIGATING, "disk"``."""
        parts = []
        if self.teams:
            parts.append("team " + "|".join(sorted(self.teams)))
        parts += [f"{key}={value}" for key, value in self.labels]
        if self.states:
            parts.append("state " + "|".join(sorted(self.states)))
        if self.assignees:
            parts.append("owner " + "|".join(sorted(self.assignees)))
        if self.grep:
            parts.append(f'"{self.grep}"')
        return ", ".join(parts)


def parse_filter(
    *,
    team: str | None = None,
    labels: Iterable[str] = (),
    state: str | None = None,
    assignee: str | None = None,
    grep: str | None = None,
) -> IncidentFilter:
    """The command line's (or a profile's) words, checked: a bad one is a usage error."""
    pairs = []
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--label needs KEY=VALUE, like team=payments (got {item!r})")
        pairs.append((key.strip(), value.strip()))
    if grep is not None and not grep.strip():
        raise UsageError("--grep needs some text to look for")
    return IncidentFilter(
        teams=frozenset(word.casefold() for word in _words(team, "--team")),
        labels=tuple(pairs),
        states=frozenset(word.upper() for word in _words(state, "--state")),
        assignees=frozenset(word.casefold() for word in _words(assignee, "--assignee")),
        grep=(grep or "").strip().casefold(),
    )


def _words(text: str | None, option: str) -> list[str]:
    if text is None:
        return []
    words = [word.strip() for word in text.split(",") if word.strip()]
    if not words:
        raise UsageError(f"{option} needs at least one value")
    return words
