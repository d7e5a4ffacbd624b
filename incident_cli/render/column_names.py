"""The table's column names and how a user's choice of them is read: no drawing here.

Kept apart from render/columns.py (which draws with Rich) so that reading a profile's
``columns`` or ``label_columns`` never imports Rich on the JSON-lines path (issue 16).
"""

from __future__ import annotations

from incident_cli.errors import UsageError

COLUMN_KEYS = ("sev", "source", "id", "title", "owner", "team", "state", "type", "resources", "age", "last")
DEFAULT = ("sev", "id", "title", "owner", "team", "state", "type", "resources", "age", "last")


def parse_columns(text: str | None, option: str = "--columns") -> tuple[str, ...]:
    """``--columns sev,title,owner`` -> the keys, checked; None or empty: the default."""
    if not text or not text.strip():
        return ()
    keys = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [key for key in keys if key not in COLUMN_KEYS]
    if unknown:
        shown = unknown[0].encode("ascii", "backslashreplace").decode()[:30]
        raise UsageError(f"{option}: unknown column {shown!r} (one of: {', '.join(COLUMN_KEYS)})")
    return keys


def parse_label_key(key: str) -> str:
    """``-L team``: a label's key, as the server writes it."""
    cleaned = key.strip()
    if not cleaned or any(ch in cleaned for ch in ",=") or not cleaned.isprintable():
        raise UsageError(f"-L/--label-column needs a label key, like team or env (got {key!r})")
    return cleaned
