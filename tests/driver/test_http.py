"""GraphQL over HTTP: the socket's rules (token, proxies, same-origin redirects) on a loopback server."""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incident_cli.auth import Token
from incident_cli.driver.http import HttpAnswer, HttpQueries, graphql_data, post_json
from incident_cli.errors import AuthError, OperationRejected, Unavailable
from tests.helpers import run


class Handler(BaseHTTPRequestHandler):
    other_port = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/moved":
            return self.answer(307, b"", location="/graphql")
        if self.path == "/away":
            return self.answer(307, b"", location=f"http://127.0.0.1:{self.other_port}/graphql")
        if self.path == "/text":
            return self.answer(200, b"<html>hello</html>")
        if self.path != "/graphql":
            return self.answer(404, b"")
        request = json.loads(body)
        echo = {"auth": self.headers.get("Authorization"), "query": request["query"], "variables": request.get("variables")}
        self.answer(200, json.dumps({"data": {"echo": echo}}).encode())

    def answer(self, status, body, location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def http_server():
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(2)]
    Handler.other_port = servers[1].server_address[1]
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield f"http://127.0.0.1:{servers[0].server_address[1]}"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_a_query_carries_the_token_and_variables_and_returns_the_data():
    with http_server() as base:
        queries = HttpQueries(f"{base}/graphql")
        data = run(queries.query("query Q($id: ID) { x }", {"id": "7"}, "Q", Token("abc.def")))
    assert data["echo"] == {"auth": "Bearer abc.def", "query": "query Q($id: ID) { x }", "variables": {"id": "7"}}


def test_a_redirect_within_the_origin_keeps_the_post_and_one_elsewhere_is_refused():
    with http_server() as base:
        moved = post_json(f"{base}/moved", {"query": "{ x }"}, headers={"Authorization": "Bearer t"})
        assert moved.status == 200 and moved.body["data"]["echo"]["auth"] == "Bearer t"
        with pytest.raises(Unavailable, match="redirected to another origin .* not following"):
            post_json(f"{base}/away", {"query": "{ x }"}, headers={"Authorization": "Bearer t"})


def test_loopback_never_goes_through_a_proxy(monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "")
    with http_server() as base:
        assert post_json(f"{base}/graphql", {"query": "{ x }"}).status == 200


def test_failures_are_unavailable_with_the_url_and_no_secret():
    with pytest.raises(Unavailable, match=r"cannot reach http://127.0.0.1:9/graphql"):
        post_json("http://user:secret@127.0.0.1:9/graphql?token=hush", {"query": "{ x }"})
    with http_server() as base:
        assert post_json(f"{base}/text", {}).body is None


def test_what_an_answer_means():
    assert graphql_data(HttpAnswer(status=200, body={"data": {"a": 1}}), "u") == {"a": 1}
    with pytest.raises(OperationRejected, match="Cannot query field"):
        graphql_data(HttpAnswer(status=400, body={"errors": [{"message": "Cannot query field 'x'"}]}), "u")
    with pytest.raises(AuthError, match="HTTP 401"):
        graphql_data(HttpAnswer(status=401, body=None), "u")
    with pytest.raises(Unavailable, match="no GraphQL endpoint at u .HTTP 404"):
        graphql_data(HttpAnswer(status=404, body=None), "u")
    with pytest.raises(Unavailable, match="did not answer with GraphQL JSON"):
        graphql_data(HttpAnswer(status=200, body=None), "u")
