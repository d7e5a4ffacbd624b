import json

import pytest

from incident_cli import messages as m
from incident_cli.errors import InvalidMessage

MODERN = m.Dialect.TRANSPORT_WS
LEGACY = m.Dialect.LEGACY


@pytest.mark.parametrize(
    ("message", "dialect", "expected"),
    [
        (m.ConnectionInit(), MODERN, {"type": "connection_init"}),
        (
            m.ConnectionInit(payload={"Authorization": "Bearer t"}),
            LEGACY,
            {"type": "connection_init", "payload": {"Authorization": "Bearer t"}},
        ),
        (
            m.Subscribe(id="1", query="{a}", variables={"x": 1}, operation_name="A"),
            MODERN,
            {"id": "1", "type": "subscribe", "payload": {"query": "{a}", "variables": {"x": 1}, "operationName": "A"}},
        ),
        (m.Subscribe(id="2", query="{a}"), LEGACY, {"id": "2", "type": "start", "payload": {"query": "{a}"}}),
        (m.Stop(id="3"), MODERN, {"id": "3", "type": "complete"}),
        (m.Stop(id="3"), LEGACY, {"id": "3", "type": "stop"}),
        (m.Ping(), MODERN, {"type": "ping"}),
        (m.Pong(payload={"n": 1}), MODERN, {"type": "pong", "payload": {"n": 1}}),
        (m.Terminate(), LEGACY, {"type": "connection_terminate"}),
    ],
)
def test_encode_each_client_message(message, dialect, expected):
    assert json.loads(m.encode(message, dialect)) == expected


def test_encoding_is_ascii_and_compact():
    text = m.encode(m.Subscribe(id="1", query="{ t(x: \"\u00e9\") }"), MODERN)
    assert text.isascii() and ", " not in text


@pytest.mark.parametrize("message", [m.Ping(), m.Pong()])
def test_legacy_dialect_has_no_ping_pong(message):
    with pytest.raises(ValueError):
        m.encode(message, LEGACY)


def test_modern_dialect_never_sends_connection_terminate():
    with pytest.raises(ValueError):
        m.encode(m.Terminate(), MODERN)


@pytest.mark.parametrize(
    ("frame", "dialect", "expected"),
    [
        ({"type": "connection_ack"}, MODERN, m.ConnectionAck()),
        ({"type": "connection_ack", "payload": {"s": 1}}, LEGACY, m.ConnectionAck(payload={"s": 1})),
        ({"type": "next", "id": "1", "payload": {"data": {}}}, MODERN, m.Next(id="1", payload={"data": {}})),
        ({"type": "data", "id": "1", "payload": {"data": None}}, LEGACY, m.Next(id="1", payload={"data": None})),
        (
            {"type": "error", "id": "1", "payload": [{"message": "bad"}]},
            MODERN,
            m.Error(id="1", errors=({"message": "bad"},)),
        ),
        (
            {"type": "error", "id": "1", "payload": {"message": "bad"}},
            LEGACY,
            m.Error(id="1", errors=({"message": "bad"},)),
        ),
        ({"type": "complete", "id": "9"}, MODERN, m.Complete(id="9")),
        ({"type": "complete", "id": "9"}, LEGACY, m.Complete(id="9")),
        ({"type": "ping", "payload": {"n": 2}}, MODERN, m.Ping(payload={"n": 2})),
        ({"type": "pong"}, MODERN, m.Pong()),
        ({"type": "ka"}, LEGACY, m.KeepAlive()),
        ({"type": "connection_error", "payload": {"message": "no"}}, LEGACY, m.ConnectionError(payload={"message": "no"})),
    ],
)
def test_decode_each_server_message(frame, dialect, expected):
    assert m.decode(json.dumps(frame), dialect) == expected


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        ("not json", MODERN),
        ("[1, 2]", MODERN),
        ('"ack"', MODERN),
        ("{}", MODERN),
        ('{"type": 3}', MODERN),
        ('{"type": "mystery"}', MODERN),
        ('{"type": "ka"}', MODERN),  # legacy type on a modern socket (PROTOCOL.md (d) 24)
        ('{"type": "data", "id": "1", "payload": {}}', MODERN),
        ('{"type": "ping"}', LEGACY),
        ('{"type": "next", "id": 1, "payload": {}}', MODERN),  # numeric id
        ('{"type": "next", "id": "", "payload": {}}', MODERN),
        ('{"type": "next", "id": "1", "payload": []}', MODERN),
        ('{"type": "next", "id": "1"}', MODERN),
        ('{"type": "error", "id": "1", "payload": {}}', MODERN),
        ('{"type": "error", "id": "1", "payload": []}', MODERN),
        ('{"type": "error", "id": "1", "payload": [{"nomessage": 1}]}', MODERN),
        ('{"type": "complete"}', MODERN),
        ('{"type": "next", "id": "1", "payload": {"data": NaN}}', MODERN),
        ('{"type": "next", "id": "1", "payload": {"data": Infinity}}', MODERN),
        ("[" * 100_000 + "]" * 100_000, MODERN),  # RecursionError inside json
    ],
)
def test_invalid_server_messages_raise_invalid_message(text, dialect):
    with pytest.raises(InvalidMessage):
        m.decode(text, dialect)


def test_a_result_decoded_on_the_hot_path_is_the_same_next_message_the_general_decoder_makes():
    fast = m.decode(b'{"id":"7","type":"next","payload":{"data":{"x":1}}}', m.Dialect.TRANSPORT_WS)
    assert type(fast) is m.Next and fast == m.Next(id="7", payload={"data": {"x": 1}})
    legacy = m.decode('{"id":"7","type":"data","payload":{"data":null}}', m.Dialect.LEGACY)
    assert legacy == m.Next(id="7", payload={"data": None})


def test_a_result_without_an_id_or_an_object_payload_is_still_refused():
    for bad in ('{"id":"","type":"next","payload":{}}', '{"id":7,"type":"next","payload":{}}',
                '{"id":"7","type":"next","payload":[]}'):
        with pytest.raises(m.InvalidMessage):
            m.decode(bad, m.Dialect.TRANSPORT_WS)
