"""What an ``error`` that ends one operation means, by its ``extensions.code`` (API.md).

The integration guide tells clients what to do per code: refresh the token on
UNAUTHENTICATED and UNAUTHORIZED, back off and retry on RATE_LIMIT_EXCEEDED, alert on
INTERNAL_SERVER_ERROR. For a tail that must not go quiet, that becomes one table (house
rule 9, pure): refresh once, then fail with 77; resubscribe that operation after a backoff
(rate limits never give up, other server faults do after a few tries); or the document is
wrong and the operation ends. An error without a code is how graphql-ws and graphql-core
report a validation error: the document is wrong. ``Endings`` turns that, and a plain
``complete``, into what the session does with the operation.
"""

from __future__ import annotations

import random
from enum import Enum
from typing import Any

from incident_cli.backoff import BackoffPolicy
from incident_cli.model import error_codes
from incident_cli.values import frozen

MAX_FAILURES = 5  # an operation failing this many times in a row (with no data between) is given up
MAX_RETRY_AFTER = 3600.0  # seconds: a longer hint is not believed

AUTH_CODES = frozenset({"UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"})
RATE_CODES = frozenset({"RATE_LIMIT_EXCEEDED", "SUBSCRIPTION_LIMIT_EXCEEDED"})
DOCUMENT_CODES = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"})


class Action(Enum):
    REFRESH = "refresh"  # the credentials: refresh once and subscribe again, then fatal
    RESUBSCRIBE = "resubscribe"  # a server fault: subscribe this operation again after a backoff
    REJECTED = "rejected"  # the document or its variables: the operation is over


@frozen
class Verdict:
    """What to do about a failed operation: retry, refresh, resubscribe or give up."""

    action: Action
    code: str | None = None  # the code that decided, for messages
    rate_limited: bool = False
    retry_after: float | None = None  # the server's hint, in seconds
    gives_up: bool = True  # after MAX_FAILURES in a row; a rate limit never does


def classify(errors: Any) -> Verdict:
    codes = error_codes(errors)
    if not codes:
        return Verdict(action=Action.REJECTED)
    for code in codes:
        if code in AUTH_CODES:
            return Verdict(action=Action.REFRESH, code=code)
    for code in codes:
        if code in RATE_CODES:
            return Verdict(action=Action.RESUBSCRIBE, code=code, rate_limited=True, retry_after=retry_hint(errors),
                           gives_up=False)
    for code in codes:
        if code in DOCUMENT_CODES:
            return Verdict(action=Action.REJECTED, code=code)
    # INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, TIMEOUT and codes nobody documented.
    return Verdict(action=Action.RESUBSCRIBE, code=codes[0], retry_after=retry_hint(errors))


def retry_hint(errors: Any) -> float | None:
    """``extensions.retryAfter`` (seconds), ``retry_after`` or ``retryAfterMs``, when an error has one."""
    for item in errors if isinstance(errors, list | tuple) else [errors]:
        extensions = item.get("extensions") if isinstance(item, dict) else None
        if not isinstance(extensions, dict):
            continue
        for key, scale in (("retryAfter", 1.0), ("retry_after", 1.0), ("retryAfterMs", 0.001)):
            seconds = _number(extensions.get(key))
            if seconds is not None:
                seconds *= scale
                return seconds if 0 <= seconds <= MAX_RETRY_AFTER else None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


# ---- what the session does when the server ends one operation -------------------------------


@frozen
class Resubscribe:
    """Subscribe it again on the same connection after ``delay`` seconds."""

    delay: float
    attempt: int
    reason: str


@frozen
class Reread:
    """The document was built from a schema that may be stale: read it again (once), reconnect."""


@frozen
class End:
    """The operation is over: completed, rejected, or given up."""

    errors: tuple[str, ...]
    gave_up: bool = False


Ending = Resubscribe | Reread | End


class Endings:
    """One decision per ended operation, with the counts it needs (pure, house rule 9)."""

    def __init__(self, backoff: BackoffPolicy, rng: random.Random, *, can_reread: bool) -> None:
        self._backoff = backoff
        self._rng = rng
        self._can_reread = can_reread  # documents built from the server's schema can be rebuilt
        self._failures: dict[str, int] = {}  # label -> server faults in a row
        self._reread: set[str] = set()

    def ended(
        self, label: str, errors: tuple[str, ...], verdict: Verdict | None, *, delivered_since: bool, custom: bool
    ) -> Ending:
        """``delivered_since``: the operation delivered data since its last fault (which is then behind it)."""
        if verdict is not None and verdict.action is Action.RESUBSCRIBE:
            failures = self._failures[label] = (0 if delivered_since else self._failures.get(label, 0)) + 1
            reason = f"{verdict.code}: {'; '.join(errors) or 'no message'}"
            if not verdict.gives_up or failures < MAX_FAILURES:
                # Past the fast retries of a reconnect: 1, 2, 4, 8 s ceilings, or the server's hint.
                delay = self._backoff.delay(failures + self._backoff.fast_retries - 1, rng=self._rng,
                                            rate_limited=verdict.rate_limited, retry_after=verdict.retry_after)
                return Resubscribe(delay=round(delay, 3), attempt=failures, reason=reason)
            return End(errors=(f"gave up after {failures} failures in a row: {reason}",), gave_up=True)
        if errors and self._can_reread and not custom and label not in self._reread:
            self._reread.add(label)
            return Reread()
        return End(errors=errors)
