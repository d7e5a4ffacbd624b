"""Where queries go: the socket first, HTTP when the socket refuses and HTTP answers."""

import pytest

from incident_cli.driver.queries import HTTP_RETRY, QueryRoute
from incident_cli.errors import OperationRejected, Unavailable
from incident_cli.operations import incident_query
from tests.helpers import run


class FakeHttp:
    shown = "http://h/graphql"

    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    async def query(self, document, variables, operation_name, token):
        self.asked.append((operation_name, variables, token))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def socket_answering(answer):
    asked = []

    async def over_socket(operation):
        asked.append(operation.operation_name)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return over_socket, asked


LOOKUP = incident_query("i-1")


def test_the_socket_is_asked_first_and_http_never_when_it_answers():
    http = FakeHttp({"incident": None})
    route = QueryRoute("http://h/graphql", client=http)
    over_socket, asked = socket_answering({"incident": {"id": "i-1"}})
    assert run(route.run(LOOKUP, over_socket, None)) == {"incident": {"id": "i-1"}}
    assert asked == ["Incident"] and http.asked == [] and not route.over_http and route.take_notices() == []


def test_a_refusal_on_the_socket_moves_queries_to_http_for_good_and_says_so_once():
    http = FakeHttp({"incident": {"id": "i-1", "severity": "P1"}})
    route = QueryRoute("http://h/graphql", client=http)
    refusing, asked = socket_answering(OperationRejected("queries are not allowed"))
    assert run(route.run(LOOKUP, refusing, "token"))["incident"]["severity"] == "P1"
    notices = route.take_notices()
    assert route.over_http and len(notices) == 1 and "queries are not allowed" in notices[0] and "http://h/graphql" in notices[0]
    run(route.run(LOOKUP, refusing, "token"))
    assert asked == ["Incident"] and len(http.asked) == 2 and route.take_notices() == []
    assert http.asked[0] == ("Incident", {"id": "i-1"}, "token")  # the socket's token goes along


def test_when_http_rejects_the_query_too_the_socket_answer_stands_and_the_route_stays():
    route = QueryRoute("http://h/graphql", client=FakeHttp(OperationRejected("Cannot query field 'incident'")))
    refusing, _ = socket_answering(OperationRejected("Cannot query field 'incident'"))
    with pytest.raises(OperationRejected, match="^Cannot query field"):
        run(route.run(LOOKUP, refusing, None))
    assert not route.over_http


def test_when_http_is_unreachable_both_reasons_are_given_and_http_rests_a_while():
    clock = [100.0]
    http = FakeHttp(Unavailable("cannot reach http://h/graphql: Connection refused"))
    route = QueryRoute("http://h/graphql", client=http, monotonic=lambda: clock[0])
    refusing, _ = socket_answering(OperationRejected("queries are not allowed"))
    with pytest.raises(OperationRejected, match="queries are not allowed .and over HTTP: cannot reach"):
        run(route.run(LOOKUP, refusing, None))
    with pytest.raises(OperationRejected, match="^queries are not allowed$"):
        run(route.run(LOOKUP, refusing, None))  # HTTP is not hammered
    assert len(http.asked) == 1
    clock[0] += HTTP_RETRY
    http.answer = {"incident": None}
    assert run(route.run(LOOKUP, refusing, None)) == {"incident": None} and route.over_http


def test_without_an_http_endpoint_a_refusal_is_final():
    route = QueryRoute(None)
    refusing, _ = socket_answering(OperationRejected("queries are not allowed"))
    with pytest.raises(OperationRejected, match="^queries are not allowed$"):
        run(route.run(LOOKUP, refusing, None))
