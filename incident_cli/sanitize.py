"""One sanitiser for every server-originated string that may reach a terminal.

Escape sequences are not parsed, they are defused: ESC and every other C0 control (but
tab), DEL and C1 become visible caret or hex notation, so ``\\x1b]52;...`` shows as
``^[]52;...`` and can neither move the cursor, set a title nor write the clipboard
(RELIABILITY.md (b), "Content"). Bidi controls and invisible characters (zero-width ones,
the BOM) are dropped (Trojan Source), line and paragraph separators are line breaks, lone
surrogates become U+FFFD so printing never raises. The result is idempotent.
"""

from __future__ import annotations

ELLIPSIS = "\u2026"
NEWLINE_MARK = "\u23ce"  # shown in single-line views where the text had a line break
DEFAULT_MAX_LENGTH = 200

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
# Invisible characters that hide what a string says (a zero-width space in a title, a BOM) are
# dropped; line and paragraph separators break lines as a newline does, so they are shown as one.
_INVISIBLE = (0x00AD, 0x180E, *range(0x200B, 0x200E), 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF)
_SEPARATORS = (0x2028, 0x2029, 0x0085)


def _build_table(single_line: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        table[code] = "^" + chr(code + 0x40)
    table[0x09] = " "
    table[0x0A] = NEWLINE_MARK if single_line else "\n"
    table[0x7F] = "^?"
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    for code in (*_BIDI, *_INVISIBLE):
        table[code] = None
    for code in _SEPARATORS:
        table[code] = NEWLINE_MARK if single_line else "\n"
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"
    return table


_SINGLE_LINE = _build_table(single_line=True)
_MULTI_LINE = _build_table(single_line=False)


def sanitize(text: object, *, max_length: int | None = DEFAULT_MAX_LENGTH, single_line: bool = True) -> str:
    """Return ``text`` safe to show on a terminal: no ESC, C0 but tab/newline, C1, DEL or bidi."""
    value = text if isinstance(text, str) else str(text)
    cleaned = value.translate(_SINGLE_LINE if single_line else _MULTI_LINE)
    if max_length is not None and len(cleaned) > max_length:
        cleaned = cleaned[: max(max_length - 1, 0)] + ELLIPSIS
    return cleaned
