import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_cli import messages as m
from incident_cli import protocol as p
from incident_cli.errors import LocalProtocolError

MODERN = m.Dialect.TRANSPORT_WS
LEGACY = m.Dialect.LEGACY


def sent(proto):
    return [json.loads(frame) for frame in proto.data_to_send()]


def ready(dialect=MODERN, payload=None):
    proto = p.ClientProtocol(dialect)
    proto.send_init(payload)
    proto.data_to_send()
    proto.receive_text('{"type":"connection_ack"}')
    assert proto.events_received() == [p.Acknowledged()]
    return proto


def test_handshake_sends_init_with_payload_and_acknowledges():
    proto = p.ClientProtocol(MODERN)
    assert proto.state is p.State.NEW
    proto.send_init({"Authorization": "Bearer t"})
    assert sent(proto) == [{"type": "connection_init", "payload": {"Authorization": "Bearer t"}}]
    assert proto.state is p.State.INITIALISING
    proto.receive_text('{"type":"connection_ack","payload":{"server":"x"}}')
    assert proto.events_received() == [p.Acknowledged(payload={"server": "x"})]
    assert proto.state is p.State.READY


def test_init_only_once():
    proto = ready()
    with pytest.raises(LocalProtocolError):
        proto.send_init()


def test_subscribe_before_ack_is_refused_locally():
    proto = p.ClientProtocol(MODERN)
    proto.send_init()
    with pytest.raises(LocalProtocolError):
        proto.send_subscribe("subscription { a }")


def test_subscribe_ids_are_unique_per_socket():
    proto = ready()
    ids = [proto.send_subscribe("subscription { a }") for _ in range(3)]
    assert len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
    frames = sent(proto)
    assert [f["type"] for f in frames] == ["subscribe"] * 3
    assert [f["id"] for f in frames] == ids
    assert proto.active_operations == frozenset(ids)


def test_legacy_subscribe_is_start_and_data_is_next():
    proto = ready(LEGACY)
    op = proto.send_subscribe("subscription { a }", {"x": 1})
    assert sent(proto) == [{"id": op, "type": "start", "payload": {"query": "subscription { a }", "variables": {"x": 1}}}]
    proto.receive_text(json.dumps({"type": "data", "id": op, "payload": {"data": {"a": 1}}}))
    assert proto.events_received() == [p.Data(id=op, payload={"data": {"a": 1}})]


def test_next_error_complete_for_active_operation():
    proto = ready()
    a = proto.send_subscribe("subscription { a }")
    b = proto.send_subscribe("subscription { b }")
    proto.receive_text(json.dumps({"type": "next", "id": a, "payload": {"data": {"a": 1}}}))
    proto.receive_text(json.dumps({"type": "error", "id": b, "payload": [{"message": "no"}]}))
    proto.receive_text(json.dumps({"type": "complete", "id": a}))
    assert proto.events_received() == [
        p.Data(id=a, payload={"data": {"a": 1}}),
        p.OperationFailed(id=b, errors=({"message": "no"},)),
        p.Completed(id=a),
    ]
    assert proto.active_operations == frozenset()


def test_messages_for_unknown_or_finished_ids_are_ignored():
    proto = ready()
    a = proto.send_subscribe("subscription { a }")
    proto.receive_text(json.dumps({"type": "error", "id": a, "payload": [{"message": "x"}]}))
    proto.events_received()
    for frame in (
        {"type": "complete", "id": a},  # stray complete after error (graphql-ws < 6.0.8)
        {"type": "next", "id": a, "payload": {"data": {}}},
        {"type": "next", "id": "99", "payload": {"data": {}}},
        {"type": "complete", "id": "99"},
    ):
        proto.receive_text(json.dumps(frame))
    assert proto.events_received() == []
    assert proto.close_to_send() is None and proto.state is p.State.READY


def test_ping_is_answered_at_once_echoing_payload_even_before_ack():
    proto = p.ClientProtocol(MODERN)
    proto.send_init()
    proto.data_to_send()
    proto.receive_text('{"type":"ping","payload":{"n":1}}')
    assert sent(proto) == [{"type": "pong", "payload": {"n": 1}}]
    proto.receive_text('{"type":"connection_ack"}')
    assert proto.state is p.State.READY


def test_unsolicited_pong_and_legacy_ka_are_liveness():
    proto = ready()
    proto.receive_text('{"type":"pong"}')
    assert proto.events_received() == [p.Alive()]
    legacy = ready(LEGACY)
    legacy.receive_text('{"type":"ka"}')
    assert legacy.events_received() == [p.Alive()]
    assert proto.close_to_send() is None and legacy.close_to_send() is None


def test_duplicate_ack_is_ignored():
    proto = ready()
    proto.receive_text('{"type":"connection_ack"}')
    assert proto.events_received() == [] and proto.state is p.State.READY


def test_send_ping_is_modern_only():
    proto = ready()
    proto.send_ping({"t": 1})
    assert sent(proto) == [{"type": "ping", "payload": {"t": 1}}]
    legacy = ready(LEGACY)
    legacy.send_ping()
    assert legacy.data_to_send() == []


def test_legacy_connection_error_is_rejected_event():
    proto = p.ClientProtocol(LEGACY)
    proto.send_init()
    proto.receive_text('{"type":"connection_error","payload":{"message":"Forbidden"}}')
    assert proto.events_received() == [p.Rejected(payload={"message": "Forbidden"})]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"type":"mystery"}',
        '{"type":"next","id":"1","payload":[]}',
        '{"type":"error","id":"1","payload":{}}',
        '{"type":"next","id":"1","payload":{"data":NaN}}',
    ],
)
def test_invalid_message_fails_connection_with_4400(text):
    proto = ready()
    proto.send_subscribe("subscription { a }")
    proto.data_to_send()
    proto.receive_text(text)
    events = proto.events_received()
    assert len(events) == 1 and isinstance(events[0], p.Violation)
    assert proto.close_to_send() == p.CloseRequest(code=4400, reason="Invalid message received")
    assert proto.state is p.State.CLOSING and proto.failure


def test_next_before_ack_is_a_violation():
    proto = p.ClientProtocol(MODERN)
    proto.send_init()
    proto.receive_text('{"type":"next","id":"1","payload":{"data":{}}}')
    assert isinstance(proto.events_received()[0], p.Violation)
    assert proto.close_to_send().code == 4400


def test_binary_frame_is_a_violation():
    proto = ready()
    proto.receive_binary(b'{"type":"ping"}')
    assert isinstance(proto.events_received()[0], p.Violation)
    assert proto.close_to_send().code == 4400


def test_close_1000_completes_every_operation_first():
    proto = ready()
    a = proto.send_subscribe("subscription { a }")
    b = proto.send_subscribe("subscription { b }")
    proto.data_to_send()
    proto.close(1000)
    assert sent(proto) == [{"id": a, "type": "complete"}, {"id": b, "type": "complete"}]
    assert proto.close_to_send() == p.CloseRequest(code=1000, reason="")
    # in-flight messages after our complete are ignored
    proto.receive_text(json.dumps({"type": "next", "id": a, "payload": {"data": {}}}))
    assert proto.events_received() == []


def test_legacy_close_sends_stop_and_terminate():
    proto = ready(LEGACY)
    a = proto.send_subscribe("subscription { a }")
    proto.data_to_send()
    proto.close(1000)
    assert sent(proto) == [{"id": a, "type": "stop"}, {"type": "connection_terminate"}]


def test_receive_close_reports_verdict_and_ends():
    proto = ready()
    proto.send_subscribe("subscription { a }")
    proto.receive_text('{"type":"pong"}')
    proto.events_received()
    proto.receive_close(1012, "restart")
    assert proto.events_received() == [
        p.Closed(code=1012, reason="restart", verdict=p.Verdict(action=p.Action.RETRY, cause=p.Cause.TRANSIENT))
    ]
    assert proto.state is p.State.CLOSED
    proto.receive_text('{"type":"pong"}')
    proto.receive_close(1000)
    assert proto.events_received() == []


def test_4500_right_after_subscribe_is_a_rejected_document():
    proto = ready()
    proto.send_subscribe("subscription {")
    proto.receive_close(4500, "Syntax Error")
    (closed,) = proto.events_received()
    assert closed.verdict == p.Verdict(action=p.Action.FATAL, cause=p.Cause.REJECTED)


def test_4500_on_a_healthy_connection_is_retried():
    proto = ready()
    op = proto.send_subscribe("subscription { a }")
    proto.receive_text(json.dumps({"type": "next", "id": op, "payload": {"data": {}}}))
    proto.events_received()
    proto.receive_close(4500, "boom")
    (closed,) = proto.events_received()
    assert closed.verdict.action is p.Action.RETRY


# ---- the close-code table, row by row --------------------------------------------------

RETRY, FATAL, DONE = p.Action.RETRY, p.Action.FATAL, p.Action.DONE


@pytest.mark.parametrize(
    ("code", "active", "action", "cause"),
    [
        (1000, False, DONE, p.Cause.FINISHED),
        (1001, False, DONE, p.Cause.FINISHED),
        (1000, True, RETRY, p.Cause.TRANSIENT),
        (1001, True, RETRY, p.Cause.TRANSIENT),
        (None, True, RETRY, p.Cause.TRANSIENT),
        (1002, True, FATAL, p.Cause.PROTOCOL),
        (1003, True, FATAL, p.Cause.PROTOCOL),
        (1005, True, RETRY, p.Cause.TRANSIENT),
        (1006, True, RETRY, p.Cause.TRANSIENT),
        (1007, True, FATAL, p.Cause.PROTOCOL),
        (1008, True, FATAL, p.Cause.AUTH),
        (1009, True, RETRY, p.Cause.TOO_BIG),
        (1010, True, FATAL, p.Cause.PROTOCOL),
        (1011, True, RETRY, p.Cause.TRANSIENT),
        (1012, True, RETRY, p.Cause.TRANSIENT),
        (1013, True, RETRY, p.Cause.TRANSIENT),
        (1014, True, RETRY, p.Cause.TRANSIENT),
        (1015, True, FATAL, p.Cause.PROTOCOL),
        (1099, True, FATAL, p.Cause.PROTOCOL),
        (3008, True, RETRY, p.Cause.TRANSIENT),
        (4004, True, FATAL, p.Cause.PROTOCOL),
        (4005, True, FATAL, p.Cause.PROTOCOL),
        (4400, True, FATAL, p.Cause.CLIENT_BUG),
        (4401, True, FATAL, p.Cause.AUTH),
        (4403, True, FATAL, p.Cause.AUTH),
        (4406, True, FATAL, p.Cause.PROTOCOL),
        (4408, True, RETRY, p.Cause.TRANSIENT),
        (4409, True, FATAL, p.Cause.CLIENT_BUG),
        (4429, True, RETRY, p.Cause.RATE_LIMITED),
        (4499, True, RETRY, p.Cause.TRANSIENT),
        (4504, True, RETRY, p.Cause.TRANSIENT),
        (4999, True, RETRY, p.Cause.TRANSIENT),
    ],
)
def test_close_code_table(code, active, action, cause):
    verdict = p.close_verdict(code, operations_active=active, just_subscribed=False)
    assert verdict == p.Verdict(action=action, cause=cause)


def test_every_table_row_is_covered_by_the_parametrised_test():
    covered = {1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015}
    covered |= {4004, 4005, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499, 4504}
    assert set(p.CLOSE_CODES) == covered


def test_every_transition_leads_to_a_known_state():
    assert all(isinstance(target, p.State) for target in p.TRANSITIONS.values())
    assert (p.State.CLOSED, p.Trigger.RECEIVE_CLOSE) not in p.TRANSITIONS


# ---- property: arbitrary frames never crash the core -----------------------------------

frames = st.one_of(
    st.text(),
    st.binary(max_size=64),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    ).map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["next", "error", "complete", "ping", "pong", "connection_ack", "ka", "data"]),
            "id": st.sampled_from(["1", "2", "", 1, None]),
            "payload": st.one_of(st.none(), st.just([]), st.just({}), st.just([{"message": "m"}]), st.just({"data": {}})),
        }
    ).map(json.dumps),
)


@settings(max_examples=300, deadline=None)
@given(dialect=st.sampled_from([MODERN, LEGACY]), inputs=st.lists(frames, max_size=12), acked=st.booleans())
def test_arbitrary_frames_never_raise_and_stay_in_the_table(dialect, inputs, acked):
    proto = p.ClientProtocol(dialect)
    proto.send_init()
    if acked:
        proto.receive_text('{"type":"connection_ack"}')
        if proto.state is p.State.READY:
            proto.send_subscribe("subscription { a }")
    for frame in inputs:
        if isinstance(frame, bytes):
            proto.receive_binary(frame)
        else:
            proto.receive_text(frame)
        assert proto.state in set(p.State)
        for event in proto.events_received():
            assert isinstance(event, p.ProtocolEvent.__args__)
        proto.data_to_send()
    close = proto.close_to_send()
    assert close is None or close.code == 4400
    proto.receive_close(1006)
    assert proto.state is p.State.CLOSED


def test_has_output_only_while_frames_or_a_close_wait():
    proto = p.ClientProtocol(m.Dialect.TRANSPORT_WS)
    assert not proto.has_output
    proto.send_init()
    assert proto.has_output
    proto.data_to_send()
    assert not proto.has_output
    proto.receive_text('{"type":"connection_ack"}')
    op_id = proto.send_subscribe("subscription { x }")
    proto.data_to_send()
    proto.receive_text(f'{{"id":"{op_id}","type":"next","payload":{{"data":{{"x":1}}}}}}')
    assert not proto.has_output  # a result asks nothing of the driver
    proto.close(1000)
    assert proto.has_output
