"""Options whose value may be left out: ``--bell`` alone means P0,P1, ``--bell P0`` says which.

Typer's parser has no optional values (Click's ``flag_value``), so a bare occurrence is given its
default before parsing. Bare means last on the line or followed by another option, and not itself
the value of the option before it (``--exec --bell`` runs a command named ``--bell``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# command -> option -> the value a bare occurrence stands for
DEFAULTS: Mapping[str, Mapping[str, str]] = {"watch": {"--bell": "P0,P1"}}


def fill_bare(argv: list[str], valued: Iterable[str]) -> list[str]:
    """``argv`` with each bare optional-value option written ``--option=default``."""
    defaults = DEFAULTS.get(argv[0], {}) if argv else {}
    if not defaults:
        return argv
    takes_value = set(valued)
    filled = [argv[0]]
    for at in range(1, len(argv)):
        token = argv[at]
        if token == "--":
            return filled + argv[at:]
        following = argv[at + 1] if at + 1 < len(argv) else None
        bare = following is None or following.startswith("-")
        if token in defaults and bare and argv[at - 1] not in takes_value:
            token = f"{token}={defaults[token]}"
        filled.append(token)
    return filled
