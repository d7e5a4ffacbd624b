"""urls.py: the endpoints beside the socket, and loopback."""

import pytest

from incident_cli.urls import http_beside, is_loopback, query_url


def test_the_http_endpoint_sits_beside_the_socket():
    assert query_url("wss://incidents.example.com/graphql/ws") == "https://incidents.example.com/graphql"
    assert query_url("ws://127.0.0.1:8080/graphql/ws") == "http://127.0.0.1:8080/graphql"
    assert query_url("ws://h:9/graphql") == "http://h:9/graphql"  # one path for both, as Strawberry serves
    assert query_url("wss://user:pw@h/api/ws?token=x") == "https://h/api"  # never userinfo or a query string
    assert query_url("ws://[::1]:8080/graphql/ws") == "http://[::1]:8080/graphql"


def test_the_refresh_endpoint_sits_on_the_same_host_without_userinfo():
    assert http_beside("wss://u:p@h:8443/graphql/ws?t=1", "/auth/refresh") == "https://h:8443/auth/refresh"


@pytest.mark.parametrize(
    ("url", "expected"),
    [("ws://127.0.0.1:1/x", True), ("ws://127.9.9.9/x", True), ("ws://localhost/x", True), ("ws://[::1]:8/x", True),
     ("wss://example.com/x", False), ("ws://10.0.0.1/x", False)],
)
def test_is_loopback(url, expected):
    assert is_loopback(url) is expected
