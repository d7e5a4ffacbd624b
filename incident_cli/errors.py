"""The one exception tree of the tool (house rule 5).

Foreign exceptions (websockets, OSError, json) are translated into these once, at the
session boundary, with ``raise ... from``. Only cli.py turns them into exit statuses and
user-facing lines. Messages never carry a token: callers build them from sanitised parts.
"""

from __future__ import annotations


class IncidentsError(Exception):
    """Base of every error the tool reports to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(IncidentsError):
    """The command line asked for something that cannot work (bad value, bad file)."""


class ConfigError(IncidentsError):
    """Local configuration is unusable: token missing or malformed, unreadable file."""


class AuthError(IncidentsError):
    """The server rejected our credentials (HTTP 401/403, close 4401/4403/1008)."""


class ProtocolMismatch(IncidentsError):
    """The server does not speak a protocol we can use, or broke the protocol."""


class ListTooLong(ProtocolMismatch):
    """The list query's pages did not end (MAX_LIST_PAGES): a server that ignores pagination."""


class ClientBug(IncidentsError):
    """The server says our own messages were invalid (4400, 4409): a bug in this tool."""


class OperationRejected(IncidentsError):
    """The server refused an operation: GraphQL validation or execution errors (``codes``:
    their ``extensions.code`` values, where the server gave them)."""

    def __init__(self, message: str, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.codes = codes


class NotFound(IncidentsError):
    """What was asked for does not exist on the server (``incidents show`` of an unknown id)."""


class Unavailable(IncidentsError):
    """The server could not be reached, or reconnecting was given up."""


class Unreached(Unavailable):
    """Nothing was delivered: the connection was refused, or the host has no address."""


class Unanswered(IncidentsError):
    """An action was sent and no answer says whether it took effect (status 75: read back)."""


class Disconnected(IncidentsError):
    """A disconnect worth recovering from: the session retries it with backoff.

    It reaches the user only as the reason inside Unavailable, once retries run out.
    """

    def __init__(
        self,
        message: str,
        *,
        rate_limited: bool = False,
        retry_after: float | None = None,
        immediate: bool = False,
        violation: bool = False,
        legacy_only: bool = False,
    ) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)
        self.immediate = immediate  # not a failure to back off from: retry at once
        self.violation = violation  # the server broke the protocol (we closed with 4400)
        self.legacy_only = legacy_only  # the server turned graphql-transport-ws away: offer graphql-ws


class OutputError(IncidentsError):
    """Writing our own output failed (other than the reader going away)."""


class OutputOverflow(IncidentsError):
    """The reader of our output fell too far behind and ``--on-overflow exit`` was asked for."""


class InvalidMessage(IncidentsError):
    """A server frame that graphql-transport-ws (or the legacy dialect) does not allow.

    Raised by the codec only; the protocol core turns it into a 4400 close and a
    ProtocolMismatch for the user.
    """


class LocalProtocolError(Exception):
    """We tried to do something the protocol state forbids: a bug in the caller.

    Deliberately not an IncidentsError: it must surface in tests, not as a user message.
    """
