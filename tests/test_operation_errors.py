"""What an operation's error means, one row of the guide's table per test."""

import random

import pytest

from incident_cli.backoff import BackoffPolicy
from incident_cli.operation_errors import (
    MAX_FAILURES,
    MAX_RETRY_AFTER,
    Action,
    End,
    Endings,
    Reread,
    Resubscribe,
    classify,
    retry_hint,
)


def errors(*codes, **extensions):
    return [{"message": "m", **({"extensions": {"code": code, **extensions}} if code else {})} for code in codes]


@pytest.mark.parametrize("code", ["UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"])
def test_credentials_are_refreshed(code):
    verdict = classify(errors(code))
    assert verdict.action is Action.REFRESH and verdict.code == code


@pytest.mark.parametrize("code", ["RATE_LIMIT_EXCEEDED", "SUBSCRIPTION_LIMIT_EXCEEDED"])
def test_rate_limits_back_off_and_never_give_up(code):
    verdict = classify(errors(code, retryAfter=7))
    assert verdict.action is Action.RESUBSCRIBE and verdict.rate_limited and not verdict.gives_up
    assert verdict.retry_after == 7.0


@pytest.mark.parametrize("code", ["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT", "SOMETHING_NEW"])
def test_server_faults_and_unknown_codes_are_retried_then_given_up(code):
    verdict = classify(errors(code))
    assert verdict.action is Action.RESUBSCRIBE and verdict.gives_up and not verdict.rate_limited


@pytest.mark.parametrize("codes", [(None,), ("GRAPHQL_VALIDATION_FAILED",), ("BAD_USER_INPUT",), ("GRAPHQL_PARSE_FAILED",)])
def test_a_wrong_document_ends_the_operation(codes):
    assert classify(errors(*codes)).action is Action.REJECTED  # no code: graphql-ws's validation errors


def test_the_strongest_reason_wins_when_codes_mix():
    assert classify(errors("INTERNAL_SERVER_ERROR", "UNAUTHENTICATED")).action is Action.REFRESH
    assert classify(errors("BAD_USER_INPUT", "RATE_LIMIT_EXCEEDED")).action is Action.RESUBSCRIBE
    assert classify(errors("INTERNAL_SERVER_ERROR", "BAD_USER_INPUT")).action is Action.REJECTED
    assert classify({"message": "legacy single object", "extensions": {"code": "TIMEOUT"}}).action is Action.RESUBSCRIBE


def test_retry_hints_in_the_shapes_servers_use_and_nonsense_ignored():
    assert retry_hint(errors("X", retryAfter="2.5")) == 2.5
    assert retry_hint(errors("X", retry_after=3)) == 3.0
    assert retry_hint(errors("X", retryAfterMs=1500)) == 1.5
    assert retry_hint(errors("X", retryAfter=True)) is None
    assert retry_hint(errors("X", retryAfter="soon")) is None
    assert retry_hint(errors("X", retryAfter=-1)) is None
    assert retry_hint(errors("X", retryAfter=MAX_RETRY_AFTER + 1)) is None
    assert retry_hint(errors("X")) is None and retry_hint("not a list") is None


# ---- Endings: what the session does when the server ends one operation ---------------------


def endings(*, can_reread=True):
    return Endings(BackoffPolicy(), random.Random(7), can_reread=can_reread)


def fault(code="INTERNAL_SERVER_ERROR", **extensions):
    return classify(errors(code, **extensions))


def test_a_plain_complete_ends_the_operation_with_no_errors():
    assert endings().ended("new", (), None, delivered_since=False, custom=False) == End(errors=())


def test_a_server_fault_is_resubscribed_with_a_growing_ceiling_then_given_up():
    decide = endings()
    decisions = [decide.ended("new", ("boom",), fault(), delivered_since=False, custom=False)
                 for _ in range(MAX_FAILURES)]
    retries, last = decisions[:-1], decisions[-1]
    assert all(isinstance(d, Resubscribe) for d in retries)
    assert [d.attempt for d in retries] == list(range(1, MAX_FAILURES))
    assert retries[0].reason == "INTERNAL_SERVER_ERROR: boom"
    assert isinstance(last, End) and last.gave_up
    assert last.errors == (f"gave up after {MAX_FAILURES} failures in a row: INTERNAL_SERVER_ERROR: boom",)


def test_data_between_faults_starts_the_count_again():
    decide = endings()
    for _ in range(MAX_FAILURES - 1):
        decide.ended("new", ("boom",), fault(), delivered_since=False, custom=False)
    after_data = decide.ended("new", ("boom",), fault(), delivered_since=True, custom=False)
    assert isinstance(after_data, Resubscribe) and after_data.attempt == 1


def test_each_operation_counts_its_own_faults():
    decide = endings()
    for _ in range(MAX_FAILURES - 1):
        decide.ended("new", ("boom",), fault(), delivered_since=False, custom=False)
    other = decide.ended("updates", ("boom",), fault(), delivered_since=False, custom=False)
    assert isinstance(other, Resubscribe) and other.attempt == 1


def test_a_rate_limit_never_gives_up_and_waits_at_least_the_hint():
    decide = endings()
    for attempt in range(1, MAX_FAILURES * 2):
        decision = decide.ended("new", ("slow down",), fault("RATE_LIMIT_EXCEEDED", retryAfter=30),
                                delivered_since=False, custom=False)
        assert isinstance(decision, Resubscribe) and decision.attempt == attempt and decision.delay >= 30


def test_a_rejected_document_built_from_the_schema_is_reread_once_then_ends():
    decide = endings()
    rejected = ("Cannot query field 'x'",)
    assert decide.ended("new", rejected, classify(errors(None)), delivered_since=False, custom=False) == Reread()
    assert decide.ended("new", rejected, classify(errors(None)), delivered_since=False, custom=False) == End(
        errors=rejected)


def test_a_users_own_document_or_a_fixed_one_is_never_reread():
    rejected = ("Cannot query field 'x'",)
    assert endings().ended("custom", rejected, None, delivered_since=False, custom=True) == End(errors=rejected)
    assert endings(can_reread=False).ended("new", rejected, None, delivered_since=False, custom=False) == End(
        errors=rejected)
