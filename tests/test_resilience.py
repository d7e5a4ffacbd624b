"""Staying connected (RELIABILITY.md (a)): faults on loopback, each bounded in time and traffic."""

import asyncio
import gc
import json
import os
import signal
import socket
import subprocess
import threading
import time
import tracemalloc

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.backoff import BackoffPolicy
from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.session import Session
from tests.fakes import handshake, next_frame, receive_json, scripted_server
from tests.helpers import INCIDENTS, demo_server, read_line, run, seconds
from tests.helpers import demo as demo_thread
from tests.relay import Relay

FAST = BackoffPolicy(base=0.05, factor=2.0, cap=0.2, floor=0.02, healthy_after=0.3)


def config(url, **overrides):
    options = {"ack_timeout": seconds(2), "open_timeout": seconds(2), "backoff": FAST, "close_timeout": 0.5}
    return SessionConfig(url=url, **{**options, **overrides})


async def until(session, predicate, limit=5000):
    seen = []
    async for event in session.events():
        seen.append(event)
        if predicate(event) or len(seen) >= limit:
            return seen
    return seen


def reconnected(event):
    return isinstance(event, model.Connected) and event.attempt > 1 or (
        isinstance(event, model.Connected) and event.downtime is not None
    )


def is_data(event):
    return isinstance(event, model.StreamEvent) and not isinstance(event, model.Heartbeat)


async def demo(**options):
    defaults = {"rate": 200, "heartbeat_interval": 0.1}
    return await DemoServer(ServerOptions(**{**defaults, **options})).start()


@pytest.mark.parametrize("code", [1001, 1012, 1013, 1006])
def test_server_going_away_is_a_disconnect_not_the_end(code):
    async def body():
        server = await demo(faults=Faults(close_after=3, close_code=code, connections=1))
        try:
            async with Session(config(server.url), [ops.subscription("updates")]) as session:
                events = await until(session, lambda e: isinstance(e, model.Connected) and e.downtime is not None)
                assert any(isinstance(e, model.Reconnecting) for e in events)
                assert is_data((await until(session, is_data))[-1])  # and the stream goes on
            assert server.connections == 2
        finally:
            await server.stop()

    run(body())


def test_half_open_connection_is_detected_and_recovered_within_the_bound():
    async def body():
        server = await demo()
        relay = await Relay("127.0.0.1", server.port).start()
        try:
            cfg = config(relay.url, ping_interval=0.3, ping_timeout=0.3)
            async with Session(cfg, [ops.subscription("updates")]) as session:
                await until(session, is_data)
                last_message = time.time()  # 200 events/s: the last one is a few ms old
                relay.set_mode("blackhole")
                started = time.monotonic()
                events = await until(session, lambda e: isinstance(e, model.Reconnecting))
                detected = time.monotonic() - started
                assert detected < seconds(3), detected
                relay.set_mode("pass")
                (*_, back) = await until(session, lambda e: isinstance(e, model.Connected))
                gap = time.time() - last_message
                assert is_data((await until(session, is_data))[-1])
                assert "silent" in events[-1].reason or "1006" in events[-1].reason or "1011" in events[-1].reason
                # The gap is counted from the last message, not from when the silence was noticed.
                assert gap - 0.25 <= back.downtime <= gap + 0.05, (back.downtime, gap, detected)
        finally:
            await relay.stop()
            await server.stop()

    run(body())


def test_connection_reset_is_retried_until_the_path_heals():
    async def body():
        server = await demo()
        relay = await Relay("127.0.0.1", server.port).start()
        try:
            async with Session(config(relay.url), [ops.subscription("updates")]) as session:
                await until(session, is_data)
                relay.set_mode("reset")  # every connection, old and new, gets an RST
                await until(session, lambda e: isinstance(e, model.Reconnecting) and e.attempt >= 3)
                relay.set_mode("pass")
                await until(session, lambda e: isinstance(e, model.Connected))
                assert is_data((await until(session, is_data))[-1])
        finally:
            await relay.stop()
            await server.stop()

    run(body())


def test_latency_below_the_ping_timeout_is_not_a_failure():
    async def body():
        server = await demo(rate=5)  # the relay delays chunk by chunk: keep the stream light
        relay = await Relay("127.0.0.1", server.port).start()
        relay.mode, relay.latency = "latency", 0.15
        try:
            cfg = config(relay.url, ping_interval=0.2, ping_timeout=0.6)
            async with Session(cfg, [ops.subscription("updates")]) as session:
                with pytest.raises(TimeoutError):  # two seconds of slow pongs and no reconnect
                    async with asyncio.timeout(2.0):
                        await until(session, lambda e: isinstance(e, model.Reconnecting))
            assert relay.connections == 1
        finally:
            await relay.stop()
            await server.stop()

    run(body())


def test_load_balancer_lifetime_cap_means_quiet_reconnects_at_minimum_backoff():
    async def body():
        server = await demo()
        relay = await Relay("127.0.0.1", server.port).start()
        relay.close_after = 0.5
        try:
            policy = BackoffPolicy(base=0.05, factor=2.0, cap=5.0, floor=0.01, healthy_after=0.3)
            async with Session(config(relay.url, backoff=policy), [ops.subscription("updates")]) as session:
                delays = []
                async for event in session.events():
                    if isinstance(event, model.Reconnecting):
                        delays.append(event.delay)
                        if len(delays) == 4:
                            break
            assert all(delay <= 0.05 for delay in delays), delays  # healthy each time: never grows
        finally:
            await relay.stop()
            await server.stop()

    run(body())


def test_graphql_layer_stuck_while_websocket_layer_answers():
    """The demo goes silent but websockets still answers WebSocket pings: only our watchdogs see it."""

    async def body():
        server = await demo(faults=Faults(silent_after=5, connections=1))
        try:
            cfg = config(server.url, ping_interval=0.2, ping_timeout=0.3)
            async with Session(cfg, [ops.subscription("updates")]) as session:
                events = await until(session, lambda e: isinstance(e, model.Reconnecting))
                assert "no pong" in events[-1].reason or "no heartbeat" in events[-1].reason
                await until(session, lambda e: isinstance(e, model.Connected))
        finally:
            await server.stop()

    run(body())


def test_heartbeat_silence_is_noticed_without_graphql_pings():
    async def body():
        server = await demo(faults=Faults(silent_after=3, connections=1), heartbeat_interval=0.05, rate=0)
        try:
            cfg = config(server.url, ping_interval=None, ping_timeout=None, heartbeat_timeout=0.5)
            async with Session(cfg, [ops.subscription("updates")]) as session:
                events = await until(session, lambda e: isinstance(e, model.Reconnecting))
                assert "no heartbeat" in events[-1].reason
        finally:
            await server.stop()

    run(body())


def test_legacy_keepalive_silence_is_noticed():
    async def handler(ws):
        await receive_json(ws)
        await ws.send(json.dumps({"type": "connection_ack"}))
        await ws.send(json.dumps({"type": "ka"}))
        await ws.wait_closed()  # then nothing: a stuck server

    async def body():
        async with scripted_server(handler, subprotocols=["graphql-ws"]) as url:
            cfg = config(url, ping_interval=None, keepalive_timeout=0.4)
            async with Session(cfg, [ops.subscription("new")]) as session:
                events = await until(session, lambda e: isinstance(e, model.Reconnecting))
        assert "keep-alive" in events[-1].reason

    run(body())


def test_oversized_message_is_reported_with_its_size_and_retried():
    async def handler(ws):
        (sub,) = await handshake(ws)
        await ws.send(next_frame(sub["id"], {"newIncidents": {"id": "x", "title": "y" * (2 * 1024 * 1024)}}))
        await ws.wait_closed()

    async def body():
        async with scripted_server(handler, max_size=None) as url:
            async with Session(config(url, max_size=1024 * 1024), [ops.subscription("new")]) as session:
                events = await until(session, lambda e: isinstance(e, model.Reconnecting))
        reason = events[-1].reason
        assert "over the 1,048,576 byte limit (1009)" in reason and "--max-message-size" in reason

    run(body())


def test_retry_after_is_honoured():
    stamps = []

    def busy(_conn, _request):
        stamps.append(time.monotonic())
        return Response(503, "busy", Headers([("Retry-After", "1")]), b"")

    async def body():
        async with serve(lambda ws: None, "127.0.0.1", 0, process_request=busy) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql/ws"
            cfg = config(url, max_retries=1, backoff=BackoffPolicy(base=0.05, cap=5.0, floor=0.01))
            async with Session(cfg, [ops.subscription("new")]) as session:
                await until(session, lambda e: False, limit=10)

    with pytest.raises(Exception, match="gave up"):
        run(body())
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.95


def client_memory():
    """Bytes held by allocations made in the client's code (the demo server's logs excluded)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, "*/incident_cli/demo/*"), tracemalloc.Filter(False, "*/tests/*")]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


def test_two_hundred_reconnects_leave_no_tasks_or_memory_behind():
    async def body():
        server = await demo(faults=Faults(close_after=1, close_code=1012), rate=2000)
        try:
            policy = BackoffPolicy(base=0.001, cap=0.002, floor=0.0, healthy_after=0.0)
            async with Session(config(server.url, backoff=policy), [ops.subscription("updates")]) as session:
                connected = 0
                tasks_at_20 = memory_at_20 = None
                async for event in session.events():
                    if isinstance(event, model.Connected):
                        connected += 1
                        if connected == 20:
                            gc.collect()
                            tasks_at_20 = len(asyncio.all_tasks())
                            memory_at_20 = client_memory()
                        if connected == 200:
                            break
                gc.collect()
                tasks_at_200 = len(asyncio.all_tasks())
                memory_at_200 = client_memory()
            return tasks_at_20, tasks_at_200, memory_at_200 - memory_at_20
        finally:
            await server.stop()

    tracemalloc.start()
    try:
        tasks_20, tasks_200, growth = run(body(), timeout=60)
    finally:
        tracemalloc.stop()
    assert tasks_200 <= tasks_20 + 2, (tasks_20, tasks_200)
    assert growth < 1024 * 1024, growth


# ---- the real CLI, as a subprocess --------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Watch:
    """`incidents watch` in the background, its JSON lines read as they come."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [*INCIDENTS, "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.records = []

    def next_matching(self, predicate, timeout):
        deadline = time.monotonic() + seconds(timeout)
        while time.monotonic() < deadline:
            line = read_line(self.proc.stdout, max(0.1, deadline - time.monotonic()))
            if not line:
                raise AssertionError(f"watch ended: {self.proc.wait(5)} {self.proc.stderr.read()}")
            record = json.loads(line)
            self.records.append(record)
            if predicate(record):
                return record
        raise AssertionError("no matching record in time")

    def finish(self):
        if self.proc.stderr.closed:
            return self.stderr
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.stderr


def status_event(name):
    return lambda record: record["kind"] == "status" and record["event"] == name


def test_server_killed_and_restarted_on_the_same_port_loses_nothing_the_repair_can_recover():
    port = free_port()
    server = subprocess.Popen([*INCIDENTS, "demo", "--port", str(port), "--rate", "20"], stderr=subprocess.PIPE, text=True)
    watch = None
    try:
        assert "serving" in read_line(server.stderr, 15)
        watch = Watch("--url", f"ws://127.0.0.1:{port}/graphql/ws", "--status-events", "--ping-interval", "0.5s", "--ping-timeout", "0.5s")
        watch.next_matching(lambda r: r["kind"] in ("incident", "update", "state_change"), 15)
        server.kill()
        server.wait(10)
        watch.next_matching(status_event("reconnecting"), 10)
        # Restarted with another seed: a different world, as after a real outage.
        server = subprocess.Popen(
            [*INCIDENTS, "demo", "--port", str(port), "--rate", "20", "--seed", "99"], stderr=subprocess.PIPE, text=True
        )
        assert "serving" in read_line(server.stderr, 15)
        connected = watch.next_matching(status_event("connected"), 15)
        assert connected["data"]["downtime"] > 0
        repaired = watch.next_matching(status_event("gap_repaired"), 10)
        assert repaired["data"]["repaired"] > 0
        emitted = [r for r in watch.records if r.get("subscription") == "repair"]
        assert len(emitted) == repaired["data"]["repaired"]
        assert all(r["kind"] == "incident" and r["data"]["id"] for r in emitted)
        watch.next_matching(lambda r: r["kind"] in ("incident", "update", "state_change") and r["subscription"] != "repair", 15)
        stderr = watch.finish()
        assert "reconnecting in" in stderr and "gap repaired" in stderr and "Traceback" not in stderr
    finally:
        if watch is not None:
            watch.finish()
        server.kill()
        server.wait(10)
        server.stderr.close()


def _restarted(server, world):
    asyncio.run_coroutine_threadsafe(server.restart(world), server.loop).result(seconds(10))


def _active_ids(server):
    return asyncio.run_coroutine_threadsafe(_ids_of(server), server.loop).result(seconds(10))


async def _ids_of(server):
    return {incident["id"]: incident["state"] for incident in server.simulator.active()}


def _backfilled(watch, count):
    """The first listing as backfill records: once all are in, the watch knows the world."""
    ids = set()
    while len(ids) < count:
        ids.add(watch.next_matching(lambda r: r.get("subscription") == "backfill", 15)["incident_id"])
    return ids


def test_a_server_restarted_with_another_world_leaves_no_incident_of_the_old_one_behind():
    with demo_server("--rate", "0", "--incidents", "12") as server:
        old = _active_ids(server)
        watch = Watch("--url", server.url, "--status-events", "--backfill", "-o", "jsonl")
        try:
            assert _backfilled(watch, len(old)) == set(old)
            _restarted(server, "new")
            repaired = watch.next_matching(status_event("gap_repaired"), 20)["data"]
            new = _active_ids(server)
            # Every incident of the old world is said to be gone, by id; the new world came as repairs.
            assert sorted(repaired["vanished"]) == sorted(old)
            assert repaired["repaired"] == len(new) and repaired["unverified"] == 0
            emitted = {r["incident_id"] for r in watch.records if r.get("subscription") == "repair"}
            assert emitted == set(new)
        finally:
            stderr = watch.finish()
        assert "12 incidents the server no longer knows removed" in stderr and "Traceback" not in stderr


def test_incidents_resolved_while_away_are_emitted_resolved_after_the_reconnect():
    with demo_server("--rate", "0", "--incidents", "12") as server:
        before = _active_ids(server)
        watch = Watch("--url", server.url, "--status-events", "--backfill", "-o", "jsonl")
        try:
            _backfilled(watch, len(before))
            _restarted(server, "resolve")
            repaired = watch.next_matching(status_event("gap_repaired"), 20)["data"]
            resolved = set(before) - set(_active_ids(server))
            assert resolved and repaired["vanished"] == [] and repaired["repaired"] == len(resolved)
            emitted = [r for r in watch.records if r.get("subscription") == "repair"]
            assert {r["incident_id"] for r in emitted} == resolved
            assert {r["data"]["state"] for r in emitted} == {"RESOLVED"}
        finally:
            assert "Traceback" not in watch.finish()


def test_a_stopped_client_reports_the_gap_from_where_it_stopped_not_from_what_it_read_after():
    with demo_server("--rate", "2000") as server:
        watch = Watch("--url", server.url, "--status-events", "-o", "jsonl", "--no-repair")
        try:
            watch.next_matching(lambda r: r["kind"] != "status", 15)
            os.kill(watch.proc.pid, signal.SIGSTOP)  # a laptop lid closed, a debugger: the client does not run
            try:
                threading.Event().wait(seconds(2))  # the scenario: stopped while the server fills its socket...
                _restarted(server, "same")  # ...and then restarts, closing it
                threading.Event().wait(seconds(2))
            finally:
                os.kill(watch.proc.pid, signal.SIGCONT)
            connected = watch.next_matching(status_event("connected"), 30)
            # Measured from where the client stopped, not from the kept frames it read after resuming.
            assert connected["data"]["downtime"] >= 3.5, connected
        finally:
            assert "Traceback" not in watch.finish()


def test_stopped_server_process_is_detected_and_recovered():
    port = free_port()
    server = subprocess.Popen([*INCIDENTS, "demo", "--port", str(port), "--rate", "20"], stderr=subprocess.PIPE, text=True)
    watch = None
    try:
        assert "serving" in read_line(server.stderr, 15)
        watch = Watch("--url", f"ws://127.0.0.1:{port}/graphql/ws", "--status-events", "--ping-interval", "0.3s", "--ping-timeout", "0.3s")
        watch.next_matching(lambda r: r["kind"] != "status", 15)
        os.kill(server.pid, signal.SIGSTOP)  # a hung peer: the kernel still ACKs, the app is silent
        try:
            started = time.monotonic()
            watch.next_matching(status_event("reconnecting"), 5)
            assert time.monotonic() - started < seconds(3)
        finally:
            os.kill(server.pid, signal.SIGCONT)
        watch.next_matching(status_event("connected"), 15)
        watch.next_matching(lambda r: r["kind"] != "status", 15)
    finally:
        if watch is not None:
            assert "Traceback" not in watch.finish()
        server.kill()
        server.wait(10)
        server.stderr.close()


def test_slow_reader_does_not_cost_the_connection():
    with demo_thread("--rate", "1000", "--fault", "ping_interval=0.2") as url:
        watch = Watch("--url", url, "--status-events", "--subscribe", "updates", "--no-repair")
        try:
            watch.next_matching(lambda r: r["kind"] == "update", 15)
            stalled = time.monotonic()
            while time.monotonic() - stalled < 2:  # the reader stops reading for 2 s: the pipe fills
                time.sleep(0.1)
            # Afterwards the stream resumes on the same connection: no reconnect was needed.
            for _ in range(2000):
                record = watch.next_matching(lambda r: True, 10)
                assert not (record["kind"] == "status" and record["event"] == "reconnecting"), record
        finally:
            stderr = watch.finish()
        assert "Traceback" not in stderr


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_signals_close_with_1001_and_exit_with_their_status(signum, status):
    async def body():
        server = await demo(rate=50)
        try:
            proc = await asyncio.create_subprocess_exec(
                *INCIDENTS, "watch", "--url", server.url,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )
            await asyncio.wait_for(proc.stdout.readline(), seconds(15))
            started = time.monotonic()
            proc.send_signal(signum)
            _, stderr = await asyncio.wait_for(proc.communicate(), seconds(6))
            elapsed = time.monotonic() - started
            await asyncio.wait_for(server.closed.wait(), seconds(3))
            return proc.returncode, stderr, elapsed, list(server.close_codes), list(server.received)
        finally:
            await server.stop()

    code, stderr, elapsed, closes, received = run(body())
    assert code == status and stderr == b"" and elapsed < 5
    assert closes == [1001]
    # every subscription is completed before the socket is closed (PROTOCOL.md (a) 23)
    subscriptions = {m["id"] for m in received if m["type"] == "subscribe" and m["payload"]["query"].startswith("subscription")}
    completed = {m["id"] for m in received if m["type"] == "complete"}
    assert subscriptions and subscriptions <= completed and received[-1]["type"] == "complete"


def test_ack_never_sent_then_recovers():
    with demo_thread("--fault", "skip_ack=1", "--fault", "connections=1", "--rate", "50") as url:
        result = subprocess.run(
            [*INCIDENTS, "watch", "--url", url, "--ack-timeout", "0.3", "--count", "2"],
            capture_output=True, text=True, timeout=seconds(30),
        )
    assert result.returncode == 0, result.stderr
    assert "no connection_ack within 0.3 s" in result.stderr and len(result.stdout.splitlines()) == 2


def test_a_second_signal_leaves_at_once_when_the_close_hangs():
    port = free_port()
    server = subprocess.Popen([*INCIDENTS, "demo", "--port", str(port), "--rate", "20"], stderr=subprocess.PIPE, text=True)
    watch = None
    try:
        assert "serving" in read_line(server.stderr, 15)
        watch = Watch("--url", f"ws://127.0.0.1:{port}/graphql/ws")
        watch.next_matching(lambda r: True, 15)
        os.kill(server.pid, signal.SIGSTOP)  # the close handshake will never be answered
        watch.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # let the first signal start the graceful close (bounded: a deadline, not a wait for an event)
        started = time.monotonic()
        watch.proc.send_signal(signal.SIGTERM)
        assert watch.proc.wait(timeout=seconds(5)) == 143
        assert time.monotonic() - started < 1.0
    finally:
        if watch is not None:
            watch.finish()
        os.kill(server.pid, signal.SIGCONT)
        server.kill()
        server.wait(10)
        server.stderr.close()


def test_a_server_that_closes_every_connection_at_once_gets_at_most_five_in_three_seconds():
    from tests.helpers import incidents

    with demo_server("--rate", "50", "--fault", "close_after=1", "--fault", "close_code=1011") as server:
        result = incidents("watch", "--url", server.url, "--for", "3s", timeout=30)
        connections = server.connections
    assert result.returncode == 0, result.stderr  # connected, if never for long: not "never connected"
    assert 2 <= connections <= 5, connections  # retried, never hammered (RELIABILITY.md (a) 5)


def test_a_bounded_run_ends_on_time_even_while_it_waits_to_reconnect():
    from tests.helpers import incidents

    # 4429 right after the first message: the wait before the next attempt is at least a second.
    with demo_server("--rate", "50", "--fault", "close_after=1", "--fault", "close_code=4429") as server:
        result = incidents("watch", "--url", server.url, "--for", "0.5s", "--status-events", timeout=30)
    coverage = [json.loads(line) for line in result.stdout.splitlines() if '"event":"coverage"' in line]
    assert coverage and coverage[0]["data"]["duration"] < 1.0, coverage  # not when the wait is over
