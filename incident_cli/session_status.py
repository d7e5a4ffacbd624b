"""What the session says about itself, beside the data: connected, reconnecting, warnings,
operations ended, gaps repaired, coverage, output dropped, notices. Frozen values the
renderers show on stderr (or as status records). Pure.
"""

from __future__ import annotations

from incident_cli.values import frozen


@frozen
class Connected:
    """A socket is open and acknowledged."""

    server: str
    subprotocol: str
    attempt: int
    downtime: float | None = None  # seconds without a live connection before this one


@frozen
class Reconnecting:
    """The connection was lost (or never made); the next attempt is in ``delay`` seconds."""

    reason: str
    attempt: int
    delay: float


@frozen
class ServerWarning:
    """Errors the server reported beside data (``next`` with ``errors``): the stream goes on."""

    subscription: str
    messages: tuple[str, ...]


@frozen
class ClientWarning:
    """Something this tool has to tell about itself: a filter that cannot be verified, a
    clock that is off, a refresh that failed. One line, said once."""

    message: str


@frozen
class OperationEnded:
    """The server ended one operation: completed, or with errors (terminal).

    ``remaining``: the operations still followed; ``gave_up``: the server kept failing it.
    """

    subscription: str
    errors: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    gave_up: bool = False


@frozen
class Resubscribing:
    """The server ended one operation with a fault worth retrying; it is subscribed again in ``delay`` s."""

    subscription: str
    reason: str
    attempt: int
    delay: float


@frozen
class GapRepaired:
    """After a reconnect, the list query was compared with what we had seen."""

    downtime: float | None
    repaired: int  # incidents emitted again because they changed while we were away
    vanished: tuple[str, ...] = ()  # ids the view held that the server no longer knows: removed
    unverified: int = 0  # incidents that left the list but could not be looked up (kept as they were)


@frozen
class RunCoverage:
    """At the end of a bounded run: how much of it had a live connection.

    ``partial``: it was connected, but not all the time (a disconnect, or a late start), so
    "nothing seen" covers only part of the run.
    """

    duration: float  # seconds the run lasted
    connected: float  # seconds of it with a live connection
    disconnects: int
    partial: bool
    repaired: int = 0  # of the disconnects, those whose gap the list query repaired


@frozen
class OutputDropped:
    """The reader of stdout fell behind and the oldest lines were dropped: a gap of ours.

    ``count`` since the last report, ``total`` in the run so far; ``final`` at its end.
    """

    count: int
    total: int = 0
    final: bool = False


@frozen
class Notice:
    """Something the user should know once, e.g. how the documents were fitted to the schema."""

    message: str


@frozen
class CredentialsRefreshed:
    """A fresh token, and a new connection subscribed with it before the old one closed."""

    expires_at: float | None  # seconds since the epoch


StatusEvent = (
    Connected
    | Reconnecting
    | ServerWarning
    | ClientWarning
    | OperationEnded
    | Resubscribing
    | GapRepaired
    | RunCoverage
    | OutputDropped
    | CredentialsRefreshed
    | Notice
)
