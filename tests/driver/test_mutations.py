"""driver/mutations.py: one mutation sent once, and what its answer means."""

import pytest

from incident_cli.driver.http import HttpAnswer
from incident_cli.driver.mutations import _judged, http_answers, send_once
from incident_cli.errors import AuthError, Disconnected, OperationRejected, Unanswered
from incident_cli.operations import Operation
from tests.helpers import demo_server, run

OP = Operation(label="addComment", document="mutation Comment { addComment }", operation_name="Comment")


def test_an_answer_with_the_incident_is_the_data_and_refusals_are_told_apart():
    data = {"addComment": {"id": "x"}}
    assert _judged(HttpAnswer(status=200, body={"data": data}), OP, "h") == data
    for code, kind in (("FORBIDDEN", AuthError), ("UNAUTHORIZED", AuthError), ("BAD_USER_INPUT", OperationRejected),
                       ("INTERNAL_SERVER_ERROR", Unanswered), ("SERVICE_UNAVAILABLE", Unanswered)):
        body = {"data": None, "errors": [{"message": "m", "extensions": {"code": code}}]}
        with pytest.raises(kind):
            _judged(HttpAnswer(status=200, body=body), OP, "h")
    with pytest.raises(Unanswered):
        _judged(HttpAnswer(status=502, body=None), OP, "h")  # a proxy's 502: it may have reached the server
    with pytest.raises(Unanswered):
        _judged(HttpAnswer(status=500, body={"errors": [{"message": "boom"}]}), OP, "h")
    with pytest.raises(AuthError):
        _judged(HttpAnswer(status=401, body=None), OP, "h")


def test_a_dropped_socket_leaves_the_outcome_open_and_nothing_is_retried():
    sent = []

    async def over_socket(operation):
        sent.append(operation)
        raise Disconnected("closed with 1011")

    with pytest.raises(Unanswered, match="connection ended before addComment was answered"):
        run(send_once(OP, http_url=None, token=None, over_socket=over_socket))
    assert len(sent) == 1


def test_http_is_used_only_where_a_graphql_endpoint_answers():
    with demo_server("--rate", "0", "--http") as server:
        assert run(http_answers(server.http_url, token=None)) == server.http_url
    with demo_server("--rate", "0") as server:  # WebSocket only: a POST is hung up on
        assert run(http_answers(server.http_url, token=None)) is None
    assert run(http_answers("http://127.0.0.1:9/graphql", token=None)) is None  # nobody listens
