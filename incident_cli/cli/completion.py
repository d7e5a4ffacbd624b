"""Shell completion of values: severities (comma lists), stream names, profile names.

Kept light: completion runs the program for every TAB, so each function imports only
what its own answer needs (the target is an answer within 100 ms, issue 7).
"""

from __future__ import annotations

import os


def severities(incomplete: str) -> list[str]:
    """``P0,P`` -> ``P0,P1 P0,P2 …``: every severity not chosen yet, after what is typed."""
    from incident_cli.operations import SEVERITIES

    head, _, last = incomplete.rpartition(",")
    chosen = {part.strip().upper() for part in head.split(",") if part.strip()}
    prefix = f"{head}," if head else ""
    return [prefix + value for value in SEVERITIES if value not in chosen and value.startswith(last.upper())]


def streams(incomplete: str) -> list[str]:
    from incident_cli.streams import STREAMS

    return [name for name in STREAMS if name.startswith(incomplete)]


def profiles(incomplete: str) -> list[str]:
    import tomllib

    from incident_cli.settings import config_path

    try:
        document = tomllib.loads(config_path(os.environ).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = document.get("profiles", {})
    return sorted(name for name in names if isinstance(name, str) and name.startswith(incomplete))
