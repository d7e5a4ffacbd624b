"""orjson where it agrees with the standard library; the standard library where it does not."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_cli.jsoncodec import ConstantRefused, ascii_line, loads

STDLIB = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_every_line_is_printable_ascii_and_reads_back_as_the_value(value):
    line = ascii_line(value)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert all(32 <= byte < 127 for byte in line[:-1])  # no control byte, no DEL, nothing 8-bit
    assert json.loads(line) == value


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parsing_agrees_with_the_standard_library(value):
    text = json.dumps(value)
    assert loads(text) == json.loads(text)


def test_lines_the_stdlib_would_escape_are_the_stdlib_bytes():
    hostile = {"title": "\x1b]0;pwned\x07 caf\u00e9 \u202e \x7f \x9b31m"}
    assert ascii_line(hostile) == (STDLIB.encode(hostile) + "\n").encode()


def test_values_orjson_cannot_encode_fall_back():
    big = {"n": 2**70, "s": "\ud800"}
    assert ascii_line(big) == b'{"n":1180591620717411303424,"s":"\\ufffd"}\n'


def test_input_orjson_refuses_is_read_by_the_stdlib():
    assert loads('{"s":"\\ud800x"}') == {"s": "\ud800x"}  # a lone surrogate escape
    beyond = loads('{"x":1e400}')
    assert math.isinf(beyond["x"])
    assert ascii_line(beyond) == b'{"x":null}\n'  # as JavaScript's JSON.stringify writes it; jq stays happy


@pytest.mark.parametrize("text", ['{"a":NaN}', '{"a":-Infinity}', "[Infinity]"])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(ConstantRefused):
        loads(text)


@pytest.mark.parametrize("text", ["", "{", "{'a':1}", '{"a":1}x'])
def test_invalid_json_raises_value_error(text):
    with pytest.raises(ValueError):
        loads(text)


def test_integers_beyond_64_bits_come_out_as_sent_not_as_floats():
    from incident_cli import jsoncodec

    for text in ("-9223372036854775809", "18446744073709551616", '{"n": 123456789012345678901234567890}'):
        assert jsoncodec.loads(text) == json.loads(text)
        assert jsoncodec.ascii_line(jsoncodec.loads(text)) == (json.dumps(json.loads(text), separators=(",", ":")) + "\n").encode()
    assert type(jsoncodec.loads("9223372036854775807")) is int  # 19 digits in range: orjson's own answer


def test_a_line_weighs_its_length_not_the_encoder_buffer():
    import tracemalloc

    record = {"title": "x" * 500, "labels": {"team": "payments"}}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        lines = [ascii_line(dict(record, n=n)) for n in range(200)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert lines[0].endswith(b"}\n") and len(lines[0]) < 600
    assert held < 200 * 1200  # about 600 bytes a line (orjson's own bytes would hold 4 KiB each)


def test_a_lone_surrogate_is_written_as_u_fffd_so_every_consumer_takes_the_line():
    value = loads(b'{"t":"a\\ud800b","k\\udfff":["\\ud83d\\ude00"]}')
    line = ascii_line(value)
    assert line == b'{"t":"a\\ufffdb","k\\ufffd":["\\ud83d\\ude00"]}\n'  # a real pair stays as it was
    assert json.loads(line)["t"] == "a\ufffdb"


def test_hostile_titles_through_the_readmes_jq_recipe_lose_no_line():
    import shutil
    import subprocess

    from tests.helpers import INCIDENTS, demo

    jq = shutil.which("jq")
    if jq is None:
        pytest.skip("jq is not installed (.ci/run installs it)")
    with demo("--hostile-titles", "--rate", "100") as url:
        watch = subprocess.run([*INCIDENTS, "watch", "--url", url, "--subscribe", "new", "--count", "10"],
                               capture_output=True, timeout=60)
    assert watch.returncode == 0 and len(watch.stdout.splitlines()) == 10
    assert b"\\ud800" not in watch.stdout and b"\\ufffd" in watch.stdout  # the demo's titles carry one
    read = subprocess.run([jq, "-r", ".data.title"], input=watch.stdout, capture_output=True, timeout=30)
    assert read.returncode == 0, read.stderr
    assert len(read.stdout.splitlines()) == 10
