"""What happens after a connection ends: one rule a test."""

import random

from incident_cli.backoff import BackoffPolicy
from incident_cli.errors import Disconnected
from incident_cli.supervision import MAX_VIOLATIONS, Step, Supervision

POLICY = BackoffPolicy(healthy_after=10.0)


def supervision(max_retries=None):
    return Supervision(POLICY, max_retries, random.Random(1))


def lost(**kinds):
    return Disconnected("closed with 1012 (restart)", **kinds)


def test_attempts_count_tries_since_the_last_healthy_connection():
    watch = supervision()
    assert watch.disconnected(lost(), acknowledged=False, uptime=0.1, connections=1).attempt == 2
    assert watch.disconnected(lost(), acknowledged=True, uptime=1.0, connections=2).attempt == 3  # acked, not healthy
    again = watch.disconnected(lost(), acknowledged=True, uptime=60.0, connections=3)
    assert again.step is Step.RETRY and again.attempt == 1 and 0 < again.delay <= 1.0


def test_a_fallback_or_a_re_read_is_not_a_failed_attempt():
    watch = supervision(max_retries=0)
    step = watch.disconnected(lost(immediate=True), acknowledged=False, uptime=0.0, connections=1)
    assert step.step is Step.RETRY and not step.counted and step.delay == 0 and watch.attempt == 1


def test_max_retries_gives_up_saying_how_many_connections_were_tried():
    watch = supervision(max_retries=1)
    assert watch.disconnected(lost(), acknowledged=False, uptime=0, connections=1).step is Step.RETRY
    step = watch.disconnected(lost(), acknowledged=False, uptime=0, connections=2)
    assert step.step is Step.GIVE_UP and not step.protocol
    assert step.reason == "gave up after 2 connection attempts: closed with 1012 (restart)"
    one = supervision(max_retries=0).disconnected(lost(), acknowledged=False, uptime=0, connections=1)
    assert one.reason.startswith("gave up after 1 connection attempt:")


def test_bad_frames_give_up_only_when_they_come_in_a_row():
    watch = supervision()
    bad = lost(violation=True)
    for _ in range(MAX_VIOLATIONS - 1):
        assert watch.disconnected(bad, acknowledged=True, uptime=0.5, connections=1).step is Step.RETRY
    watch.disconnected(lost(), acknowledged=True, uptime=0.5, connections=1)  # another kind of end breaks the run
    for _ in range(MAX_VIOLATIONS - 1):
        assert watch.disconnected(bad, acknowledged=True, uptime=0.5, connections=1).step is Step.RETRY
    assert watch.disconnected(bad, acknowledged=True, uptime=60.0, connections=1).step is Step.RETRY  # after a healthy stretch
    for _ in range(MAX_VIOLATIONS - 1):
        step = watch.disconnected(bad, acknowledged=True, uptime=0.5, connections=1)
    assert step.step is Step.GIVE_UP and step.protocol and "3 connections in a row" in step.reason


def test_a_denial_is_refreshed_once_then_fatal_but_again_after_a_healthy_stretch():
    watch = supervision()
    assert watch.denied(acknowledged=True, uptime=0.1, refreshable=True).step is Step.REFRESH
    assert watch.denied(acknowledged=True, uptime=0.1, refreshable=True).step is Step.GIVE_UP  # right after the refresh
    assert watch.denied(acknowledged=True, uptime=3600.0, refreshable=True).step is Step.REFRESH  # hours later
    assert supervision().denied(acknowledged=False, uptime=0, refreshable=False).step is Step.GIVE_UP


def test_an_unnamed_server_gets_one_attempt_until_it_has_once_answered():
    first = Supervision(POLICY, None, random.Random(1), first_contact=True)
    assert first.disconnected(lost(), acknowledged=False, uptime=0.0, connections=1).step is Step.GIVE_UP
    fallback = Supervision(POLICY, None, random.Random(1), first_contact=True)
    assert fallback.disconnected(lost(immediate=True), acknowledged=False, uptime=0.0, connections=1).step is Step.RETRY
    answered = Supervision(POLICY, None, random.Random(1), first_contact=True)
    assert answered.disconnected(lost(), acknowledged=True, uptime=30.0, connections=1).step is Step.RETRY
    assert answered.disconnected(lost(), acknowledged=False, uptime=0.0, connections=2).step is Step.RETRY  # a tail now
