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
from incident_cli.wording import NOBODY as SHOWN_NOBODY

NOBODY = "none"  # --assignee none (or nobody, the word every view shows): incidents nobody owns
# The states either spelling of the server's IncidentState has (API.md, "Schema drift"): what
# --state is checked against before the server's own schema is known.
KNOWN_STATES = (
    "NEW", "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "CLOSED", "DETECTED", "TRIAGED", "REMEDIATING",
)


@frozen
class IncidentFilter:
    """The filters beyond severity: team, labels, state, owner, text."""

    teams: frozenset[str] = frozenset()  # casefolded
    not_teams: frozenset[str] = frozenset()  # --team !sre: none of these (casefolded)
    labels: tuple[tuple[str, str], ...] = ()  # (key, value): every pair must hold
    not_labels: tuple[tuple[str, str], ...] = ()  # --label KEY!=VALUE: no pair may hold
    states: frozenset[str] = frozenset()  # upper case
    assignees: frozenset[str] = frozenset()  # casefolded; NOBODY for unassigned
    grep: str = ""  # casefolded

    def __bool__(self) -> bool:
        return bool(self.teams or self.not_teams or self.labels or self.not_labels or self.states or self.assignees
                    or self.grep)

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
        if self.not_teams and (team or "").casefold() in self.not_teams:
            return False
        if any(labels.get(key) != value for key, value in self.labels):
            return False
        if any(labels.get(key) == value for key, value in self.not_labels):
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
        if self.not_teams:
            parts.append("team not " + "|".join(sorted(self.not_teams)))
        parts += [f"{key}={value}" for key, value in self.labels]
        parts += [f"{key}!={value}" for key, value in self.not_labels]
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
    options: Mapping[str, str] | None = None,
) -> IncidentFilter:
    """The command line's (or a profile's) words, checked: a bad one is a usage error naming
    where it was given (``options``: setting -> ``--team`` or ``profile prod.team``)."""
    where = {"team": "--team", "labels": "--label", "state": "--state", "assignee": "--assignee", "grep": "--grep",
             **(options or {})}
    teams, not_teams = parse_teams(team, where["team"])
    pairs, not_pairs = parse_labels(labels, where["labels"])
    return IncidentFilter(
        teams=teams,
        not_teams=not_teams,
        labels=pairs,
        not_labels=not_pairs,
        states=frozenset(parse_states(state, where["state"])),
        assignees=frozenset(NOBODY if word.casefold() == SHOWN_NOBODY else word.casefold()
                            for word in words(assignee, where["assignee"])),
        grep=parse_grep(grep, where["grep"]),
    )


def parse_teams(text: str | None, option: str = "--team") -> tuple[frozenset[str], frozenset[str]]:
    """``payments,sre`` (any of these) and ``!sre`` (none of these): (wanted, refused), casefolded."""
    wanted: set[str] = set()
    refused: set[str] = set()
    for word in words(text, option):
        name = word[1:].strip() if word.startswith("!") else word
        if not name:
            raise UsageError(f"{option}: '!' needs a team after it, like !sre")
        (refused if word.startswith("!") else wanted).add(name.casefold())
    return frozenset(wanted), frozenset(refused)


def parse_labels(items: Iterable[str], option: str = "--label") -> tuple[tuple[tuple[str, str], ...], ...]:
    """``KEY=VALUE`` (must hold) and ``KEY!=VALUE`` (must not): (pairs, refused pairs)."""
    pairs: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        negated = key.endswith("!")
        key = key[:-1] if negated else key
        if not sep or not key.strip():
            shown = item.encode("ascii", "backslashreplace").decode()[:40]
            raise UsageError(f"{option} needs KEY=VALUE or KEY!=VALUE, like team=payments (got {shown!r})")
        (refused if negated else pairs).append((key.strip(), value.strip()))
    return tuple(pairs), tuple(refused)


def parse_states(text: str | None, option: str = "--state", known: Iterable[str] = KNOWN_STATES) -> tuple[str, ...]:
    """``new,investigating`` -> upper case, each a state the server can have (``known``)."""
    choices = tuple(known)
    states = tuple(dict.fromkeys(word.upper() for word in words(text, option)))
    unknown = [state for state in states if state not in choices]
    if unknown:
        shown = unknown[0].encode("ascii", "backslashreplace").decode()[:30]
        raise UsageError(f"{option}: no state {shown!r}: choose from {', '.join(choices)}")
    return states


def parse_grep(text: str | None, option: str = "--grep") -> str:
    if text is not None and not text.strip():
        raise UsageError(f"{option} needs some text to look for")
    return (text or "").strip().casefold()


def words(text: str | None, option: str) -> list[str]:
    if text is None:
        return []
    found = [word.strip() for word in text.split(",") if word.strip()]
    if not found:
        raise UsageError(f"{option} needs at least one value")
    return found
