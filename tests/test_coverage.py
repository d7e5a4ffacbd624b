"""How much of a bounded run was watched, from the session's connect and disconnect events."""

from incident_cli.coverage import STARTUP_SLACK, Coverage


def test_a_run_connected_throughout_is_whole():
    coverage = Coverage(started=100.0)
    coverage.connected(100.05)
    summary = coverage.summary(110.0)
    assert coverage.ever_connected and not summary.partial
    assert summary.duration == 10.0 and summary.connected == 9.95 and summary.disconnects == 0


def test_a_disconnect_makes_a_run_partial_and_counts_only_connected_time():
    coverage = Coverage(started=0.0)
    coverage.connected(0.1)
    coverage.lost(3.1, "closed with 1012 (restart)")
    coverage.lost(3.5, "cannot connect: Connection refused")  # a failed attempt, not a second disconnect
    coverage.connected(4.1)
    summary = coverage.summary(10.0)
    assert summary.partial and summary.disconnects == 1 and summary.connected == 3.0 + 5.9
    assert coverage.attempts == 1 and coverage.last_failure == "cannot connect: Connection refused"


def test_a_late_first_connection_is_partial_and_a_run_that_never_connected_says_why():
    late = Coverage(started=0.0)
    late.lost(0.5, "cannot connect")
    late.connected(STARTUP_SLACK + 0.5)
    assert late.summary(5.0).partial
    never = Coverage(started=0.0)
    never.lost(1.0, "cannot connect: Connection refused")
    never.lost(2.0, "cannot connect: Connection refused")
    assert not never.ever_connected and never.attempts == 2 and never.summary(3.0).connected == 0.0
    assert not never.summary(3.0).partial  # not partial: not watched at all, which is an error of its own
