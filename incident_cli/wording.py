"""Words said the same way everywhere: counts (``1 line``, ``12,004 lines``), and nobody."""

from __future__ import annotations

NOBODY = "nobody"  # the owner of an incident nobody owns, in every view, line and report


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural_form or noun + 's')}"
