from hypothesis import given, settings
from hypothesis import strategies as st

from incident_cli.sanitize import ELLIPSIS, sanitize

BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def is_safe(text: str, *, newlines: bool = False) -> bool:
    for char in text:
        code = ord(char)
        if code < 0x20 and not (newlines and char == "\n"):
            return False
        if 0x7F <= code < 0xA0 or code in BIDI or 0xD800 <= code < 0xE000:
            return False
    return True


def test_escape_sequences_are_defused_visibly():
    assert sanitize("\x1b[31mred\x1b[0m") == "^[[31mred^[[0m"
    assert sanitize("\x1b]52;c;ZXZpbA==\x07") == "^[]52;c;ZXZpbA==^G"
    assert sanitize("a\x9bb\x7f") == "a\\x9bb^?"


def test_markup_is_left_as_text_for_rich_text_objects():
    assert sanitize("[bold]x[/]") == "[bold]x[/]"  # Rich never sees it as markup: Text() only


def test_bidi_dropped_surrogates_replaced_newlines_marked():
    assert sanitize("a\u202eb\u2066c") == "abc"
    assert sanitize("x\ud800y") == "x\ufffdy"
    assert sanitize("one\ntwo\tthree") == "one\u23cetwo three"
    assert sanitize("one\ntwo", single_line=False) == "one\ntwo"


def test_truncation():
    assert sanitize("x" * 300, max_length=10) == "x" * 9 + ELLIPSIS
    assert sanitize("x" * 300, max_length=None) == "x" * 300


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(st.characters(codec=None, exclude_categories=())),
    max_length=st.one_of(st.none(), st.integers(1, 50)),
    single_line=st.booleans(),
)
def test_property_safe_and_idempotent(text, max_length, single_line):
    once = sanitize(text, max_length=max_length, single_line=single_line)
    assert is_safe(once, newlines=not single_line)
    assert sanitize(once, max_length=max_length, single_line=single_line) == once
    once.encode("utf-8")  # printable: no lone surrogate survives


def test_invisible_characters_are_dropped_and_line_separators_are_line_breaks():
    hidden = "db\u200b do\u200dwn\ufeff\u2060"
    assert sanitize(hidden) == "db down"
    assert sanitize("one\u2028two\u2029three") == "one\u23cetwo\u23cethree"
    assert sanitize("one\u2028two", single_line=False) == "one\ntwo"
