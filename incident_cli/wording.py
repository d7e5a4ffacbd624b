"""Counts in words: ``1 line``, ``2 lines``, ``12,004 lines``."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural_form or noun + 's')}"
