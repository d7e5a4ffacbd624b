"""The driver against real sockets: the demo server, and scripted peers for the odd cases."""

import asyncio
import contextlib
import json

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.auth import Token
from incident_cli.backoff import BackoffPolicy
from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.session import Session
from incident_cli.errors import AuthError, ClientBug, ConfigError, OperationRejected, ProtocolMismatch, Unavailable
from incident_cli.messages import Dialect
from tests.fakes import handshake, next_frame, receive_json, scripted_server
from tests.helpers import run, seconds

FAST = BackoffPolicy(base=0.02, factor=2.0, cap=0.1, floor=0.01, healthy_after=0.5)


def config(url, **overrides):
    return SessionConfig(url=url, ack_timeout=seconds(2), open_timeout=seconds(2), backoff=FAST, **overrides)


async def collect(session, predicate, limit=50):
    """Events until ``predicate`` holds for one (returned with everything before it)."""
    seen = []
    async for event in session.events():
        seen.append(event)
        if predicate(event) or len(seen) >= limit:
            break
    return seen


def is_data(event):
    return isinstance(event, model.StreamEvent)


async def demo(**options):
    return await DemoServer(ServerOptions(rate=200, heartbeat_interval=0.2, **options)).start()


def test_happy_path_streams_and_closes_cleanly_with_complete_then_1000():
    async def body():
        server = await demo()
        try:
            async with Session(config(server.url), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
                assert isinstance(events[0], model.Connected) and events[0].subprotocol == "graphql-transport-ws"
                assert isinstance(events[-1], model.IncidentSeen)
            await asyncio.wait_for(server.closed.wait(), seconds(3))
            assert list(server.close_codes) == [1000]
            types = [message["type"] for message in server.received]
            assert types[:2] == ["connection_init", "subscribe"] and types[-1] == "complete"
        finally:
            await server.stop()

    run(body())


def test_token_travels_in_payload_and_header_and_a_wrong_one_is_fatal_after_one_attempt():
    async def body():
        server = await demo(token="s3cret")
        try:
            async with Session(config(server.url, token=Token("s3cret")), [ops.subscription("new")]) as session:
                await collect(session, is_data)
            assert server.received[0]["payload"] == {"Authorization": "Bearer s3cret"}
            async with Session(config(server.url, token=Token("wrong")), [ops.subscription("new")]) as session:
                with pytest.raises(AuthError, match="4403"):
                    await collect(session, is_data)
                assert session.connections == 1
        finally:
            await server.stop()

    run(body())


def test_legacy_dialect_is_followed_when_the_server_chooses_it():
    async def body():
        server = await demo(protocols=("graphql-ws",))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                events = await collect(session, is_data)
                assert events[0].subprotocol == "graphql-ws"
            await asyncio.wait_for(server.closed.wait(), seconds(3))
            types = [message["type"] for message in server.received]
            assert types[:2] == ["connection_init", "start"]
            assert "stop" in types and list(server.close_codes) == [1000]
        finally:
            await server.stop()

    run(body())


def test_forcing_the_modern_protocol_on_a_legacy_only_server_fails_clearly():
    async def body():
        server = await demo(protocols=("graphql-ws",))
        try:
            cfg = config(server.url, dialect=Dialect.TRANSPORT_WS)
            async with Session(cfg, [ops.subscription("new")]) as session:
                with pytest.raises(ProtocolMismatch, match="selected no subprotocol"):
                    await collect(session, is_data)
        finally:
            await server.stop()

    run(body())


def test_no_subprotocol_selected_is_a_protocol_mismatch():
    async def handler(ws):
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler, subprotocols=()) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                with pytest.raises(ProtocolMismatch, match="neither graphql-transport-ws nor graphql-ws"):
                    await collect(session, is_data)

    run(body())


def test_ping_before_ack_is_answered_and_the_handshake_completes():
    pongs = []

    async def handler(ws):
        await receive_json(ws)  # init
        await ws.send(json.dumps({"type": "ping", "payload": {"n": 1}}))
        pongs.append(await receive_json(ws))
        await ws.send(json.dumps({"type": "connection_ack"}))
        sub = await receive_json(ws)
        await ws.send(json.dumps({"type": "pong"}))  # unsolicited: ignored
        await ws.send(json.dumps({"type": "connection_ack"}))  # duplicate: ignored
        await ws.send(next_frame("nope", {"x": 1}))  # unknown id: ignored
        await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "a", "severity": "P1"}}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
        assert pongs == [{"type": "pong", "payload": {"n": 1}}]
        assert [type(e) for e in events] == [model.Connected, model.IncidentSeen]

    run(body())


def test_ack_timeout_closes_4504_and_counts_as_a_retry():
    closes = []

    async def handler(ws):
        await receive_json(ws)
        await ws.wait_closed()
        closes.append(ws.close_code)

    async def body():
        async with scripted_server(handler) as url:
            cfg = config(url, max_retries=1)
            cfg = SessionConfig(**{**cfg.__dict__, "ack_timeout": 0.2})
            async with Session(cfg, [ops.subscription("new")]) as session:
                with pytest.raises(Unavailable, match="gave up after 2 connection attempts: no connection_ack"):
                    await collect(session, is_data)
            await asyncio.sleep(0)  # let the handler record the last close
        assert closes and set(closes) == {4504}

    run(body())


BAD_FRAMES = [
    ("this is not JSON {", "not valid JSON: 'this is not JSON {' (18 bytes)"),
    ("[1, 2]", "not a JSON object: '[1, 2]'"),
    ('{"id": "1"}', "without a string 'type'"),
    ('{"type": "surprise"}', "unknown message type 'surprise'"),
    ('{"type": "next", "id": "1", "payload": {"data": {"n": NaN}}}', "NaN is not allowed"),
    ('{"type": "next", "id": "1", "payload": {"data": {"n": ' + "9" * 5000 + "}}}", "not valid JSON: '{\"type\""),
    ('{"type": "next", "id": "1", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON"),
    ('{"type": "next", "id": "1", "payload": []}', "'next' payload is not an object"),
]


@pytest.mark.parametrize(("garbage", "said"), BAD_FRAMES, ids=[
    "not-json", "array", "no-type", "unknown-type", "nan", "5000-digits", "deep-nesting", "payload-not-object",
])
def test_one_bad_frame_closes_4400_says_what_it_was_and_the_tail_goes_on(garbage, said):
    async def body():
        server = await demo(faults=Faults(garbage_after=3, garbage=garbage, connections=1))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                events = await collect(session, lambda e: isinstance(e, model.Connected) and e.downtime is not None)
                after = await collect(session, is_data)
            await asyncio.wait_for(server.closed.wait(), seconds(3))
            return events, after, list(server.close_codes)
        finally:
            await server.stop()

    events, after, closes = run(body())
    (lost,) = [e for e in events if isinstance(e, model.Reconnecting)]
    assert "the server sent an invalid message" in lost.reason and said in lost.reason and "closed with 4400" in lost.reason
    assert len([e for e in events if is_data(e)]) >= 2  # what came before the bad frame was delivered
    assert is_data(after[-1]) and closes[0] == 4400  # and the stream went on


def test_a_binary_frame_is_one_bad_frame_too():
    async def body():
        server = await demo(faults=Faults(binary_after=2, connections=1))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                return await collect(session, lambda e: isinstance(e, model.Connected) and e.downtime is not None)
        finally:
            await server.stop()

    (lost,) = [e for e in run(body()) if isinstance(e, model.Reconnecting)]
    assert "a binary frame: b'{\"type\":\"ping\"}' (15 bytes)" in lost.reason


def test_a_server_that_keeps_sending_bad_frames_is_given_up_after_three_connections():
    async def body():
        server = await demo(faults=Faults(garbage_after=1))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                with pytest.raises(ProtocolMismatch, match=r"keeps breaking the protocol \(3 connections in a row\).*not valid JSON"):
                    await collect(session, lambda e: False, limit=1000)
                return session.connections
        finally:
            await server.stop()

    assert run(body()) == 3


def test_next_before_ack_is_a_protocol_violation_and_nothing_is_subscribed():
    received = []

    async def handler(ws):
        received.append(await receive_json(ws))
        await ws.send(next_frame("1", {"x": 1}))
        async for frame in ws:
            received.append(json.loads(frame))

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                with pytest.raises(ProtocolMismatch, match="before connection_ack"):
                    await collect(session, is_data)
        # retried like any bad frame, given up after three connections; never a subscribe
        assert [m["type"] for m in received] == ["connection_init"] * 3

    run(body())


def test_retryable_close_mid_stream_reconnects_resubscribes_and_continues():
    async def body():
        server = await demo(faults=Faults(close_after=3, close_code=1012, close_reason="restart", connections=1))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                events = await collect(session, lambda e: isinstance(e, model.Connected) and e.attempt > 1)
                reconnecting = [e for e in events if isinstance(e, model.Reconnecting)]
                assert len(reconnecting) == 1 and "1012" in reconnecting[0].reason
                more = await collect(session, is_data)
                assert is_data(more[-1])
            assert server.connections == 2
            subscribes = [m for m in server.received if m["type"] == "subscribe"]
            assert len(subscribes) == 2 and subscribes[0]["payload"] == subscribes[1]["payload"]
        finally:
            await server.stop()

    run(body())


@pytest.mark.parametrize(("code", "error"), [(4409, ClientBug), (4400, ClientBug), (4401, AuthError), (1002, ProtocolMismatch)])
def test_fatal_close_codes_stop_after_exactly_one_connection(code, error):
    async def body():
        server = await demo(faults=Faults(close_after=2, close_code=code, close_reason="nope"))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                with pytest.raises(error, match=str(code)):
                    await collect(session, lambda e: False)
            assert server.connections == 1
        finally:
            await server.stop()

    run(body())


def test_accept_then_close_loop_is_backed_off_not_hammered():
    async def body():
        server = await demo(faults=Faults(close_after=1, close_code=1011))
        try:
            cfg = config(server.url, max_retries=4)
            async with Session(cfg, [ops.subscription("updates")]) as session:
                with pytest.raises(Unavailable, match="gave up after 5 connection attempts"):
                    await collect(session, lambda e: False, limit=1000)
            assert server.connections == 5
        finally:
            await server.stop()

    run(body())


def test_operation_error_ends_that_operation_only():
    async def body():
        server = await demo()
        try:
            bad = ops.custom("subscription { newIncidents(severities: [P9]) { id } }", None)
            good = ops.subscription("updates")
            async with Session(config(server.url), [bad, good]) as session:
                events = await collect(session, lambda e: isinstance(e, model.OperationEnded))
                ended = events[-1]
                assert ended.subscription == "custom" and "P9" in ended.errors[0]
                assert is_data((await collect(session, is_data))[-1])
        finally:
            await server.stop()

    run(body())


def test_syntax_error_closes_4500_and_is_a_rejected_operation():
    async def body():
        server = await demo()
        try:
            async with Session(config(server.url), [ops.custom("subscription {", None)]) as session:
                with pytest.raises(OperationRejected, match="4500"):
                    await collect(session, is_data)
            assert server.connections == 1
        finally:
            await server.stop()

    run(body())


def test_query_document_gives_one_result_then_the_session_ends():
    async def body():
        server = await demo()
        try:
            query = ops.custom("query { activeIncidents { pageInfo { totalCount } } }", None)
            async with Session(config(server.url), [query]) as session:
                events = [event async for event in session.events()]
            data = [e for e in events if is_data(e)]
            assert len(data) == 1 and data[0].data["activeIncidents"]["pageInfo"]["totalCount"] >= 1
            assert isinstance(events[-1], model.OperationEnded) and events[-1].errors == ()
        finally:
            await server.stop()

    run(body())


def test_query_over_the_live_socket():
    async def body():
        server = await demo()
        try:
            known = next(iter(server.simulator.incidents))
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                data = await session.query(ops.incident_query(known))
                assert data["incident"]["id"] == known
                assert (await session.query(ops.incident_query("00000000-0000-4000-8000-000000000000")))["incident"] is None
                with pytest.raises(OperationRejected, match="UUID"):
                    await session.query(ops.incident_query("not-a-uuid"))
        finally:
            await server.stop()

    run(body())


def test_errors_beside_data_warn_and_the_stream_goes_on():
    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(next_frame(sub["id"], None, errors=[{"message": "resolver failed"}]))
        await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "a"}}, errors=[]))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
        kinds = [type(e) for e in events]
        assert kinds == [model.Connected, model.ServerWarning, model.IncidentSeen]
        assert events[1].messages == ("resolver failed",)

    run(body())


@pytest.mark.parametrize(
    ("status", "error", "match"),
    [(401, AuthError, "HTTP 401"), (403, AuthError, "HTTP 403"), (404, ProtocolMismatch, "HTTP 404")],
)
def test_http_failures_on_upgrade_are_fatal(status, error, match):
    attempts = []

    def refuse(_conn, _request):
        attempts.append(status)
        return Response(status, "refused", Headers(), b"nope\n")

    async def body():
        async with serve(lambda ws: None, "127.0.0.1", 0, process_request=refuse) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql/ws"
            async with Session(config(url), [ops.subscription("new")]) as session:
                with pytest.raises(error, match=match):
                    await collect(session, is_data)
        assert attempts == [status]

    run(body())


def test_http_503_and_refused_connections_are_retried_up_to_the_limit():
    attempts = []

    def unavailable(_conn, _request):
        attempts.append(1)
        return Response(503, "busy", Headers(), b"")

    async def body():
        async with serve(lambda ws: None, "127.0.0.1", 0, process_request=unavailable) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql/ws"
            async with Session(config(url, max_retries=2), [ops.subscription("new")]) as session:
                with pytest.raises(Unavailable, match="HTTP 503"):
                    await collect(session, is_data)
        assert len(attempts) == 3
        async with Session(config("ws://127.0.0.1:9/graphql/ws", max_retries=1), [ops.subscription("new")]) as session:
            with pytest.raises(Unavailable, match="gave up after 2 connection attempts: cannot connect"):
                await collect(session, is_data)

    run(body())


def test_server_completing_every_operation_ends_the_session():
    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "a"}}))
        await ws.send(json.dumps({"id": sub["id"], "type": "complete"}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = [event async for event in session.events()]
        assert [type(e) for e in events] == [model.Connected, model.IncidentSeen, model.OperationEnded]

    run(body())


def test_auto_falls_back_to_legacy_when_a_legacy_only_server_closes_1002():
    offers = []

    async def handler(ws):
        offers.append(ws.request.headers["Sec-WebSocket-Protocol"])
        if ws.subprotocol == "graphql-transport-ws":
            await ws.close(1002)  # what Apollo's server does with a protocol it does not speak
            return
        await receive_json(ws)
        await ws.send(json.dumps({"type": "connection_ack"}))
        start = await receive_json(ws)
        assert start["type"] == "start"
        await ws.send(json.dumps({"id": start["id"], "type": "data", "payload": {"data": {"newIncidents": {"id": "a"}}}}))
        await ws.wait_closed()

    async def body():
        first_offer = lambda _conn, offered: offered[0]  # noqa: E731 - ws without handleProtocols
        async with scripted_server(handler, select_subprotocol=first_offer) as url:
            async with Session(config(url, max_retries=0), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
        assert offers == ["graphql-transport-ws, graphql-ws", "graphql-ws"]
        # a protocol fallback is a note, not a disconnect: no wait, and it is not a failed attempt
        assert isinstance(events[0], model.Notice) and "trying graphql-ws" in events[0].message
        assert events[1].subprotocol == "graphql-ws" and events[1].attempt == 1 and is_data(events[-1])
        assert not any(isinstance(e, model.Reconnecting) for e in events)

    run(body())


def test_forced_protocol_never_falls_back():
    async def handler(ws):
        await ws.close(1002)

    async def body():
        async with scripted_server(handler) as url:
            cfg = config(url, dialect=Dialect.TRANSPORT_WS)
            async with Session(cfg, [ops.subscription("new")]) as session:
                with pytest.raises(ProtocolMismatch, match="1002"):
                    await collect(session, is_data)

    run(body())


def test_request_error_in_a_result_without_data_ends_the_operation():
    """async-graphql and Apollo's legacy server: validation errors as a result with no `data`."""
    frames = []

    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(json.dumps({"id": sub["id"], "type": "next", "payload": {"errors": [{"message": "Unknown field"}]}}))
        async for frame in ws:
            frames.append(json.loads(frame))

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = [event async for event in session.events()]
        assert isinstance(events[-1], model.OperationEnded) and events[-1].errors == ("Unknown field",)
        assert not any(isinstance(e, model.ServerWarning) for e in events)
        assert frames and frames[0]["type"] == "complete"  # we told the server we are done with it

    run(body())


# ---- credentials: refresh ahead of expiry, and after a rejection ----------------------------

from incident_cli.demo.auth import mint_token  # noqa: E402
from incident_cli.driver.credentials import RefreshingCredentials, StaticCredentials  # noqa: E402
from incident_cli.driver.session import refresh_delay  # noqa: E402


def test_refresh_timing_policy():
    assert refresh_delay(None, 0) is None
    assert refresh_delay(1000.0, 0.0) == 1000.0 - 60.0  # a long-lived token: a minute ahead
    assert refresh_delay(10.0, 0.0) == 8.0  # a short one: a fifth of what is left
    assert refresh_delay(5.0, 10.0) == 0.0  # already expired: now


async def jwt_demo(**options):
    return await DemoServer(
        ServerOptions(rate=100, heartbeat_interval=0.2, jwt_secret="k", refresh_token="r", **options)
    ).start()


def test_short_tokens_are_refreshed_ahead_of_expiry_without_losing_or_repeating_events():
    async def body():
        server = await jwt_demo(token_lifetime=1.5, enforce_expiry=True)
        try:
            credentials = RefreshingCredentials(None, Token("r"), server.refresh.url, None)
            received = []
            async with Session(config(server.url), [ops.subscription("new")], credentials=credentials) as session:
                with contextlib.suppress(TimeoutError):  # five seconds: three or more token lifetimes
                    async with asyncio.timeout(5.0):
                        async for event in session.events():
                            if isinstance(event, model.Reconnecting):
                                raise AssertionError(f"a gap: {event}")
                            if isinstance(event, model.IncidentSeen):
                                received.append(event.incident_id)
                refreshes = session.refreshes
            published = [payload["id"] for topic, payload in server.hub.published if topic == "incident"]
            return received, published, refreshes, server.expired
        finally:
            await server.stop()

    received, published, refreshes, expired = run(body(), timeout=30)
    assert refreshes >= 3 and expired == 0  # moved before every expiry, never cut off by it
    assert len(received) == len(set(received))  # the overlap delivered nothing twice
    first, last = published.index(received[0]), published.index(received[-1])
    assert published[first : last + 1] == received  # nothing lost across any switch


def test_rejected_token_is_refreshed_once_and_the_stream_starts():
    async def body():
        server = await jwt_demo(token_lifetime=60)
        try:
            expired = Token(mint_token("k", lifetime=-10))
            credentials = RefreshingCredentials(StaticCredentials(expired), Token("r"), server.refresh.url, None)
            async with Session(config(server.url), [ops.subscription("updates")], credentials=credentials) as session:
                seen = await collect(session, is_data)
                return session.connections, session.refreshes, list(server.close_codes), seen
        finally:
            await server.stop()

    connections, refreshes, closes, seen = run(body())
    assert connections == 2 and refreshes == 1 and closes[0] == 4403
    # Said: on stderr (a notice) and as a credentials_refreshed record, as the proactive refresh is.
    assert any(isinstance(e, model.CredentialsRefreshed) for e in seen)
    assert any(isinstance(e, model.Notice) and "the token was refreshed" in e.message for e in seen)


def test_failed_refresh_after_a_rejection_is_an_auth_error_after_one_try():
    async def body():
        server = await jwt_demo(token_lifetime=60)
        try:
            expired = Token(mint_token("k", lifetime=-10))
            credentials = RefreshingCredentials(StaticCredentials(expired), Token("wrong"), server.refresh.url, None)
            async with Session(config(server.url), [ops.subscription("updates")], credentials=credentials) as session:
                with pytest.raises(AuthError, match="4403"):
                    await collect(session, is_data)
                return session.connections, server.refresh.issued
        finally:
            await server.stop()

    assert run(body()) == (1, 0)


def test_redirect_to_another_origin_never_gets_the_token():
    from websockets.datastructures import Headers as H
    from websockets.http11 import Response as R

    async def body():
        other = await demo()
        redirect = lambda _c, _r: R(302, "Found", H([("Location", other.url)]), b"")  # noqa: E731
        async with serve(lambda ws: None, "127.0.0.1", 0, process_request=redirect) as front:
            url = f"ws://127.0.0.1:{front.sockets[0].getsockname()[1]}/graphql/ws"
            try:
                async with Session(config(url, token=Token("secret-token")), [ops.subscription("new")]) as session:
                    with pytest.raises(ConfigError, match="redirected to another origin"):
                        await collect(session, is_data)
                inits = [m for m in other.received if m["type"] == "connection_init"]
                async with Session(config(url), [ops.subscription("new")]) as session:
                    assert is_data((await collect(session, is_data))[-1])  # without a token it may follow
                return inits
            finally:
                await other.stop()

    assert run(body()) == []  # the other origin never saw an init with our token


def test_clock_skew_from_the_handshake_date_is_reported_and_used():
    import email.utils
    import time as clock

    def ten_minutes_ahead(_conn, _request, response):
        del response.headers["Date"]
        response.headers["Date"] = email.utils.formatdate(clock.time() + 600, usegmt=True)
        return response

    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "a"}}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler, process_response=ten_minutes_ahead) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
                return events, session.clock_skew

    events, skew = run(body())
    warnings = [e for e in events if isinstance(e, model.ClientWarning)]
    assert len(warnings) == 1 and "behind the server's" in warnings[0].message
    assert 595 < skew < 605


# ---- what an operation's error means, by extensions.code (operation_errors.py) ----------------


def error_frame(op_id, code, **extensions):
    return json.dumps({"id": op_id, "type": "error", "payload": [
        {"message": f"{code.lower()} says no", "extensions": {"code": code, **extensions}}
    ]})


def test_a_rate_limited_operation_is_subscribed_again_after_the_servers_hint_on_the_same_socket():
    subscribes = []

    async def handler(ws):
        (sub,) = await handshake(ws)
        subscribes.append(sub["id"])
        await ws.send(error_frame(sub["id"], "RATE_LIMIT_EXCEEDED", retryAfter=0.3))
        again = await receive_json(ws)
        subscribes.append(again["id"])
        await ws.send(next_frame(again["id"], {"newIncidents": {"id": "a", "severity": "P1"}}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                events = await collect(session, is_data)
                return events, session.connections

    events, connections = run(body())
    (retrying,) = [e for e in events if isinstance(e, model.Resubscribing)]
    assert retrying.subscription == "newIncidents" and retrying.attempt == 1 and retrying.delay >= 0.3
    assert "RATE_LIMIT_EXCEEDED" in retrying.reason and isinstance(events[-1], model.IncidentSeen)
    assert connections == 1 and len(subscribes) == 2 and subscribes[0] != subscribes[1]


def test_server_faults_are_retried_with_backoff_then_the_operation_is_given_up_in_one_line():
    async def handler(ws):
        (sub,) = await handshake(ws)
        while True:
            await ws.send(error_frame(sub["id"], "INTERNAL_SERVER_ERROR"))
            sub = await receive_json(ws)

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                return [event async for event in session.events()]

    events = run(body())
    retries = [e for e in events if isinstance(e, model.Resubscribing)]
    assert [e.attempt for e in retries] == [1, 2, 3, 4]
    ended = events[-1]
    assert isinstance(ended, model.OperationEnded) and ended.gave_up and ended.remaining == ()
    assert ended.errors == ("gave up after 5 failures in a row: INTERNAL_SERVER_ERROR: internal_server_error says no",)


def test_a_server_ending_one_of_several_streams_leaves_the_others_and_says_which_remain():
    async def handler(ws):
        init = await receive_json(ws)
        assert init["type"] == "connection_init"
        await ws.send(json.dumps({"type": "connection_ack"}))
        first, second = await receive_json(ws), await receive_json(ws)
        await ws.send(json.dumps({"id": first["id"], "type": "complete"}))
        await ws.send(next_frame(second["id"], {"incidentUpdates": {"incidentId": "a", "updateType": "ASSIGNED"}}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new"), ops.subscription("updates")]) as session:
                return await collect(session, lambda e: isinstance(e, model.IncidentUpdated))

    events = run(body())
    (ended,) = [e for e in events if isinstance(e, model.OperationEnded)]
    assert ended.subscription == "newIncidents" and ended.errors == () and ended.remaining == ("incidentUpdates",)


class CountingCredentials:
    """A token that a refresh replaces; the server below rejects every one of them."""

    refreshable = True
    expires_at = None

    def __init__(self):
        self.refreshes = 0

    async def current(self):
        return Token(f"t{self.refreshes}")

    async def refresh(self):
        self.refreshes += 1
        return await self.current()


@pytest.mark.parametrize("code", ["UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"])
def test_a_credentials_error_on_a_subscription_refreshes_once_then_is_fatal(code):
    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(error_frame(sub["id"], code))
        await ws.wait_closed()

    async def body():
        credentials = CountingCredentials()
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")], credentials=credentials) as session:
                with pytest.raises(AuthError, match=code):
                    async for _ in session.events():
                        pass
                return session.connections, credentials.refreshes

    connections, refreshes = run(body(), timeout=10)
    assert connections == 2 and refreshes == 1  # one refresh, one more try, then 77 (not a loop)


def test_a_credentials_error_is_followed_by_the_stream_once_the_refreshed_token_is_accepted():
    async def handler(ws):
        init = await receive_json(ws)
        await ws.send(json.dumps({"type": "connection_ack"}))
        sub = await receive_json(ws)
        if init["payload"]["Authorization"] == "Bearer t0":
            await ws.send(error_frame(sub["id"], "UNAUTHENTICATED"))
        else:
            await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "a"}}))
        await ws.wait_closed()

    async def body():
        credentials = CountingCredentials()
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")], credentials=credentials) as session:
                events = await collect(session, is_data)
                return events, credentials.refreshes

    events, refreshes = run(body())
    assert refreshes == 1 and isinstance(events[-1], model.IncidentSeen)


def test_max_retries_ends_repeated_bad_frames_as_a_protocol_error():
    async def body():
        server = await demo(faults=Faults(garbage_after=1))
        try:
            async with Session(config(server.url, max_retries=1), [ops.subscription("updates")]) as session:
                with pytest.raises(ProtocolMismatch, match="gave up after 2 connection attempts: the server sent an invalid"):
                    await collect(session, lambda e: False, limit=1000)
        finally:
            await server.stop()

    run(body())


def test_attempt_numbers_count_tries_since_the_connection_was_last_healthy_whatever_the_drop():
    served = []

    async def handler(ws):
        served.append(len(served) + 1)
        (sub,) = await handshake(ws)
        if len(served) == 3:  # healthy: up longer than healthy_after, delivering
            for n in range(12):
                await ws.send(next_frame(sub["id"], {"newIncidents": {"id": f"i{n}"}}))
                await asyncio.sleep(0.06)
        await ws.close(1012)

    async def body():
        async with scripted_server(handler) as url:
            async with Session(config(url), [ops.subscription("new")]) as session:
                seen = []
                async for event in session.events():
                    if isinstance(event, (model.Reconnecting, model.Connected)):
                        seen.append((type(event).__name__, event.attempt))
                    if len(seen) == 8:
                        return seen

    assert run(body()) == [
        ("Connected", 1), ("Reconnecting", 2),  # acknowledged, then dropped at once: not healthy
        ("Connected", 2), ("Reconnecting", 3),
        ("Connected", 3), ("Reconnecting", 1),  # up and delivering past healthy_after: the count starts over
        ("Connected", 1), ("Reconnecting", 2),
    ]
