from incident_cli.wording import plural


def test_counts_read_as_english():
    assert plural(1, "line") == "1 line"
    assert plural(0, "line") == "0 lines"
    assert plural(12004, "connection attempt") == "12,004 connection attempts"
    assert plural(2, "this", "these") == "2 these"
