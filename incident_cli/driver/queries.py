"""Where a query goes: over the live socket, or over HTTP when the socket refuses it.

The socket is tried first: it is already open, authenticated and proxied. Some servers
take only subscriptions there (Strawberry's legacy dialect answers a query with "queries
are not allowed"); the integration guide's own clients send queries over HTTP. When the
socket refuses a query and ``POST /graphql`` answers it, every later query goes over
HTTP. When HTTP cannot answer either, the socket's refusal stands, and HTTP is not tried
again for a while.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from incident_cli.auth import Token
from incident_cli.errors import IncidentsError, OperationRejected
from incident_cli.operations import Operation

if TYPE_CHECKING:
    import ssl

    from incident_cli.driver.http import HttpQueries

HTTP_RETRY = 60.0  # seconds before HTTP is tried again after it failed


class QueryRoute:
    def __init__(
        self,
        http_url: str | None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        proxy: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        client: HttpQueries | None = None,
    ) -> None:
        self.http_url = http_url  # None: queries go over the socket only
        self._ssl = ssl_context
        self._proxy = proxy
        self._monotonic = monotonic
        self._http = client  # made on first use unless given
        self._http_failed_at: float | None = None
        self.over_http = False
        self.notices: list[str] = []  # what the caller should say once (taken by take_notices)

    async def run(self, operation: Operation, over_socket: Callable[[Operation], Awaitable[Any]], token: Token | None) -> Any:
        """The ``data`` of ``operation``, from wherever the server answers queries."""
        if self.over_http:
            return await self._over_http(operation, token)
        try:
            return await over_socket(operation)
        except OperationRejected as refused:
            if not self._http_worth_trying():
                raise
            try:
                data = await self._over_http(operation, token)
            except OperationRejected:
                raise refused from None  # HTTP rejects it too: the query itself is wrong
            except IncidentsError as failed:
                self._http_failed_at = self._monotonic()
                raise OperationRejected(f"{refused.message} (and over HTTP: {failed.message})") from None
            self.over_http = True
            self.notices.append(
                f"the server refuses queries over the WebSocket ({refused.message}); "
                f"sending them over HTTP to {self._client().shown}"
            )
            return data

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    def _http_worth_trying(self) -> bool:
        if self.http_url is None:
            return False
        failed = self._http_failed_at
        return failed is None or self._monotonic() - failed >= HTTP_RETRY

    async def _over_http(self, operation: Operation, token: Token | None) -> Any:
        return await self._client().query(operation.document, operation.variables, operation.operation_name, token)

    def _client(self) -> HttpQueries:
        if self._http is None:
            from incident_cli.driver.http import HttpQueries  # urllib only when HTTP is used

            assert self.http_url is not None
            self._http = HttpQueries(self.http_url, ssl_context=self._ssl, proxy=self._proxy)
        return self._http
