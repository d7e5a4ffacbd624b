"""What an operation's error means, one row of the guide's table per test."""

import pytest

from incident_cli.operation_errors import MAX_RETRY_AFTER, Action, classify, retry_hint


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
