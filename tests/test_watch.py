"""The watch use case in-process: bounds, client-side filtering with lookups, outcomes."""

import asyncio

import pytest

from incident_cli import model
from incident_cli import operations as ops
from incident_cli.backoff import BackoffPolicy
from incident_cli.demo.faults import Faults
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.demo.simulator import PEOPLE
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import OperationRejected, Unavailable
from incident_cli.memory import Memory
from incident_cli.watch import WatchRequest, watch
from tests.helpers import run, seconds


class Collect:
    def __init__(self):
        self.events = []
        self.status = []
        self.snapshots = []

    def write(self, event):
        self.events.append(event)

    def snapshot(self, event):
        self.snapshots.append(event)

    def report(self, event, source=None):
        self.status.append(event)


async def watched(request, memory=None, **server_options):
    server = await DemoServer(ServerOptions(rate=200, heartbeat_interval=0.05, **server_options)).start()
    sink = Collect()
    try:
        config = SessionConfig(url=server.url, ack_timeout=seconds(2), backoff=BackoffPolicy(base=0.02, cap=0.1))
        result = await watch(config, request, sink, memory=memory)
    finally:
        await server.stop()
    return result, sink, server


def test_count_bound_writes_exactly_n():
    result, sink, _ = run(watched(WatchRequest(operations=[ops.subscription("updates")], count=7)))
    assert result.events == 7 and result.reason == "count" and len(sink.events) == 7
    assert not any(isinstance(e, model.Heartbeat) for e in sink.events)  # liveness is not data
    assert any(isinstance(e, model.Heartbeat) for e in sink.status)


def test_duration_bound():
    result, sink, _ = run(watched(WatchRequest(operations=[ops.subscription("updates")], duration=0.5)))
    assert result.reason == "duration" and result.events == len(sink.events) > 0


def test_state_changes_are_filtered_on_the_client_with_lookups():
    severities = ("P0", "P1")
    request = WatchRequest(
        operations=[ops.subscription("state-changes", severities=severities), ops.subscription("new", severities=severities)],
        count=15,
    )
    result, sink, server = run(watched(request))
    assert result.events == 15
    assert {event.severity for event in sink.events} <= set(severities)
    changes = [e for e in sink.events if isinstance(e, model.StateChanged)]
    assert changes, "the simulator changes states often enough to see some"
    for change in changes:
        incident = server.simulator.incidents.get(change.incident_id)
        assert incident is None or incident["severity"] in severities
    lookups = [m for m in server.received if m["type"] == "subscribe" and "query Incident" in m["payload"]["query"]]
    looked_up = {m["payload"]["variables"]["id"] for m in lookups}
    assert len(looked_up) == len(lookups)  # never twice for one incident


def test_every_written_event_has_its_severity_filled_in():
    result, sink, _ = run(watched(WatchRequest(operations=[ops.subscription("updates")], count=10)))
    assert all(event.severity in ("P0", "P1", "P2", "P3", "P4") for event in sink.events)


def test_operation_rejected_when_every_operation_failed():
    bad = ops.custom("subscription { newIncidents(severities: [NOPE]) { id } }", None)
    with pytest.raises(OperationRejected, match="NOPE"):
        run(watched(WatchRequest(operations=[bad])))


def test_completed_operations_end_the_watch_normally():
    query = ops.custom("query { criticalIncidents { pageInfo { totalCount } } }", None)
    result, sink, _ = run(watched(WatchRequest(operations=[query])))
    assert result.reason == "completed" and result.events == 1
    assert any(isinstance(e, model.OperationEnded) for e in sink.status)


def test_backfill_lists_active_incidents_before_streaming():
    request = WatchRequest(operations=[ops.subscription("updates")], count=3, backfill=True, severities=("P0", "P1", "P2"))
    result, sink, server = run(watched(request))
    backfilled = [s for s in sink.snapshots if s.subscription == "backfill"]
    assert backfilled and {s.severity for s in backfilled} <= {"P0", "P1", "P2"}
    assert all(isinstance(s, model.IncidentSeen) and s.incident.title for s in backfilled)
    lists = [m for m in server.received if m["type"] == "subscribe" and "ActiveIncidents" in m["payload"]["query"]]
    assert len(lists) == 1


def test_lookups_hand_what_they_learn_to_the_output():
    request = WatchRequest(operations=[ops.subscription("state-changes")], count=5, repair=False)  # no list query
    result, sink, _ = run(watched(request))
    looked_up = {s.incident_id for s in sink.snapshots if s.subscription == "lookup"}
    assert looked_up and looked_up <= {e.incident_id for e in sink.events}


def default_streams(severities):
    return [ops.subscription(name, severities=severities) for name in ops.DEFAULT_STREAMS]


def test_a_filter_on_a_server_that_refuses_queries_on_the_socket_looks_them_up_over_http():
    # Strawberry's legacy dialect: subscriptions only on the socket; queries at POST /graphql.
    request = WatchRequest(operations=default_streams(("P0", "P1")), severities=("P0", "P1"), count=40)
    result, sink, server = run(watched(request, protocols=("graphql-ws",), http=True, socket_queries=False))
    assert result.events == 40
    for event in sink.events:
        truth = server.simulator.incidents[event.incident_id]["severity"]
        assert event.severity == truth and truth in ("P0", "P1"), (event.kind, event.severity, truth)
    assert server.http_queries > 0
    notes = [e.message for e in sink.status if isinstance(e, model.Notice)]
    assert any("sending them over HTTP" in note for note in notes)
    assert [e.message for e in sink.status if isinstance(e, model.ClientWarning)] == []


def test_with_no_way_to_learn_a_severity_a_filter_holds_events_back_and_says_so_once():
    # No queries on the socket and no HTTP endpoint: lookups cannot answer.
    request = WatchRequest(operations=default_streams(("P0", "P1")), severities=("P0", "P1"), duration=seconds(2))
    result, sink, server = run(watched(request, protocols=("graphql-ws",), socket_queries=False))
    assert sink.events, "new P0/P1 incidents and what follows them still stream"
    for event in sink.events:
        truth = server.simulator.incidents[event.incident_id]["severity"]
        assert event.severity == truth and truth in ("P0", "P1"), (event.kind, event.severity, truth)
    listing, *warnings = [e.message for e in sink.status if isinstance(e, model.ClientWarning)]
    assert listing.startswith("listing active incidents failed, so gaps cannot be repaired: queries are not allowed")
    assert len(warnings) == 2, warnings  # one when the first event is held, one total at the end
    assert "held back until it is known" in warnings[0] and "looking it up failed" in warnings[0]
    assert "about incidents of unknown severity not shown" in warnings[1]


NOWHERE = "ws://127.0.0.1:9/graphql/ws"  # nothing listens on the discard port


def nowhere(request):
    sink = Collect()
    config = SessionConfig(url=NOWHERE, open_timeout=seconds(1), backoff=BackoffPolicy(base=0.02, cap=0.1))
    return config, sink


def test_a_bounded_run_that_never_connected_is_an_error_not_a_quiet_success():
    request = WatchRequest(operations=[ops.subscription("updates")], duration=0.6, fail_on=frozenset({"P0"}))
    config, sink = nowhere(request)
    with pytest.raises(Unavailable, match=r"never connected to ws://127.0.0.1:9/graphql/ws during the 0\.\d s run "
                                          r"\(\d+ failed attempts\): "
                                          r"cannot connect to ws://127.0.0.1:9/graphql/ws: Connection refused"):
        run(watch(config, request, sink))
    (coverage,) = [e for e in sink.status if isinstance(e, model.RunCoverage)]
    assert coverage.connected == 0 and not coverage.partial


def test_an_idle_bound_is_no_escape_either():
    request = WatchRequest(operations=[ops.subscription("updates")], idle_exit=0.5)
    config, sink = nowhere(request)
    with pytest.raises(Unavailable, match="never connected"):
        run(watch(config, request, sink))


def test_a_one_shot_run_gives_up_connecting_after_its_bound():
    request = WatchRequest(operations=[], once=True, connect_within=0.5)
    config, sink = nowhere(request)
    with pytest.raises(Unavailable, match=r"could not connect to ws://127.0.0.1:9/graphql/ws within 0\.5 s "
                                          r"\(\d+ failed attempts\): cannot connect"):
        run(watch(config, request, sink), timeout=5)


def test_a_run_that_lost_its_connection_for_a_while_says_how_much_it_watched():
    request = WatchRequest(operations=[ops.subscription("updates")], duration=1.0)
    result, sink, _ = run(watched(request, faults=Faults(close_after=5, close_code=1012, connections=1)))
    (coverage,) = [e for e in sink.status if isinstance(e, model.RunCoverage)]
    assert result.reason == "duration" and coverage.partial and coverage.disconnects == 1
    assert 0 < coverage.connected < coverage.duration


def test_a_run_watched_from_start_to_end_is_whole():
    result, sink, _ = run(watched(WatchRequest(operations=[ops.subscription("updates")], count=5)))
    (coverage,) = [e for e in sink.status if isinstance(e, model.RunCoverage)]
    assert result.reason == "count" and not coverage.partial and coverage.disconnects == 0


def test_an_operation_the_server_keeps_failing_ends_as_unavailable_not_as_a_rejected_document():
    import json

    from tests.fakes import handshake, receive_json, scripted_server

    async def handler(ws):
        (sub,) = await handshake(ws)
        while True:
            error = {"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
            await ws.send(json.dumps({"id": sub["id"], "type": "error", "payload": [error]}))
            sub = await receive_json(ws)

    async def body():
        async with scripted_server(handler) as url:
            config = SessionConfig(url=url, backoff=BackoffPolicy(base=0.01, cap=0.02, floor=0.005))
            await watch(config, WatchRequest(operations=[ops.subscription("new")]), Collect())

    with pytest.raises(Unavailable, match="kept failing the subscriptions: gave up after 5 failures in a row: INTERNAL"):
        run(body())


def test_after_an_assignment_the_view_learns_the_owner_in_the_background():
    class UntilOwnerKnown(Collect):
        def __init__(self):
            super().__init__()
            self.learned = asyncio.Event()

            self.log = []  # writes and snapshots, in the order they came

        def write(self, event):
            super().write(event)
            self.log.append(event)

        def snapshot(self, event):
            super().snapshot(event)
            self.log.append(event)
            assigned_before = any(isinstance(e, model.IncidentUpdated) and e.update.update_type == "ASSIGNED"
                                  and e.incident_id == event.incident_id for e in self.log)
            if event.subscription == model.Label.LOOKUP and event.incident.assigned_to and assigned_before:
                self.reread = event
                self.learned.set()

    async def body():
        server = await DemoServer(ServerOptions(rate=300)).start()
        sink = UntilOwnerKnown()
        try:
            config = SessionConfig(url=server.url, ack_timeout=seconds(2))
            request = WatchRequest(operations=[ops.subscription("updates")], duration=seconds(10), follow_owners=True)
            watching = asyncio.ensure_future(watch(config, request, sink))
            await asyncio.wait_for(sink.learned.wait(), seconds(8))
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
        finally:
            await server.stop()
        return sink

    sink = run(body())  # a lookup after the incident's ASSIGNED update: a severity lookup comes before its event
    assert sink.reread.incident.assigned_to in PEOPLE


def test_without_a_view_of_owners_assignments_are_not_re_read():
    request = WatchRequest(operations=[ops.subscription("updates")], count=40)
    _, sink, server = run(watched(request))
    assert any(isinstance(e, model.IncidentUpdated) and e.update.update_type == "ASSIGNED" for e in sink.events)
    lookups = [m["payload"]["variables"]["id"] for m in server.received
               if m["type"] == "subscribe" and "query Incident" in m["payload"]["query"]]
    assert len(lookups) == len(set(lookups))  # each incident asked about once (its severity), never again


def test_the_memory_handed_in_is_the_one_the_watch_fills_even_when_it_starts_empty():
    memory = Memory()  # empty, so falsy: the text lines' titles once came from a memory of the watch's own
    _, sink, _ = run(watched(WatchRequest(operations=[ops.subscription("new")], count=3), memory=memory))
    assert {incident_id for incident_id, _ in memory} >= {event.incident_id for event in sink.events}
    assert all(memory.get(event.incident_id).title for event in sink.events)


class Timed(Collect):
    """Notes, at each written event, how many snapshots (listed or looked up) came before it."""

    def __init__(self):
        super().__init__()
        self.snapshots_before = []

    def write(self, event):
        self.snapshots_before.append(len(self.snapshots))
        super().write(event)


async def watched_by(sink, request, **server_options):
    server = await DemoServer(ServerOptions(rate=200, heartbeat_interval=0.05, **server_options)).start()
    try:
        config = SessionConfig(url=server.url, ack_timeout=seconds(2), backoff=BackoffPolicy(base=0.02, cap=0.1))
        return await watch(config, request, sink)
    finally:
        await server.stop()


def test_events_pass_while_the_list_query_is_unanswered():
    # The list waits 3 s on the server: before, every event waited behind it (issue 23, item 3).
    sink = Timed()
    request = WatchRequest(operations=[ops.subscription("new"), ops.subscription("updates")], count=20)
    result = run(watched_by(sink, request, faults=Faults(query_delay=3.0)))
    assert result.events == 20
    assert sink.snapshots_before[0] == 0  # the first event was written before the list answered
    assert not any("listing" in getattr(s, "message", "") for s in sink.status)


def test_events_of_other_incidents_pass_while_one_is_looked_up_and_each_incidents_order_is_kept():
    # Under --severity a state change of an incident not seen yet needs a lookup, answered after
    # 1 s here; new incidents carry their severity and pass meanwhile.
    sink = Timed()
    request = WatchRequest(
        operations=[ops.subscription("new"), ops.subscription("state-changes")], duration=2.5, repair=False,
        severities=("P0", "P1", "P2", "P3", "P4"),
    )
    run(watched_by(sink, request, faults=Faults(query_delay=1.0)))
    assert any(s.subscription == "lookup" for s in sink.snapshots)
    stamps = [e.received_at for e in sink.events]
    assert stamps != sorted(stamps)  # later events were written before one that waited for its lookup
    by_incident: dict = {}
    for event in sink.events:
        by_incident.setdefault(event.incident_id, []).append(event.received_at)
    assert all(seen == sorted(seen) for seen in by_incident.values())


def test_with_backfill_the_list_comes_first_even_when_it_is_slow():
    sink = Timed()
    request = WatchRequest(operations=[ops.subscription("new"), ops.subscription("updates")], count=5, backfill=True)
    run(watched_by(sink, request, faults=Faults(query_delay=0.5)))
    listed = sum(1 for s in sink.snapshots if s.subscription == "backfill")
    assert listed and sink.snapshots_before[0] >= listed


def test_what_waits_for_a_slow_list_is_bounded_and_what_was_let_go_is_said(monkeypatch):
    import incident_cli.tracking as tracking_module

    monkeypatch.setattr(tracking_module, "WAIT_LIMIT", 5)
    sink = Timed()
    request = WatchRequest(operations=[ops.subscription("new"), ops.subscription("updates")], backfill=True,
                           duration=seconds(1.5))
    run(watched_by(sink, request, faults=Faults(query_delay=seconds(3.0))))  # the list never answers in time
    warnings = [s.message for s in sink.status if isinstance(s, model.ClientWarning) and "waited" in s.message]
    assert len(warnings) == 1 and "at most 5 wait" in warnings[0]
    assert int(warnings[0].split()[0]) > 0


def test_a_snapshot_is_the_list_alone_even_when_the_list_is_slow():
    sink = Timed()
    request = WatchRequest(operations=[ops.subscription("new"), ops.subscription("updates")], once=True)
    result = run(watched_by(sink, request, faults=Faults(query_delay=1.0)))
    assert result.reason == "snapshot" and result.events > 0
    assert {event.subscription for event in sink.events} == {"backfill"}  # nothing that streamed meanwhile
