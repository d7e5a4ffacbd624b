from incident_cli.liveness import Deadlines, Liveness

DEADLINES = Deadlines(ping_interval=5.0, ping_timeout=2.0, heartbeat_timeout=30.0, keepalive_timeout=12.0)


def test_a_ping_is_due_each_interval_and_never_two_unanswered():
    live = Liveness(DEADLINES, now=0.0)
    assert not live.ping_due(100.0)  # nothing before the socket is in service
    live.start_pinging(10.0)
    assert not live.ping_due(14.9)
    assert live.ping_due(15.0)
    live.pinged(15.0)
    assert not live.ping_due(20.0)  # the last one is still unanswered
    live.answered()
    assert live.ping_due(25.0)


def test_an_unanswered_ping_past_its_deadline_is_a_dead_connection():
    live = Liveness(DEADLINES, now=0.0)
    live.pinged(10.0)
    assert live.verdict(12.0) is None
    assert live.verdict(12.5) == "no pong within 2 s"
    live.answered()
    assert live.verdict(12.5) is None


def test_silence_counts_only_once_the_server_showed_it_sends_heartbeats_or_ka():
    live = Liveness(DEADLINES, now=0.0)
    assert live.verdict(1000.0) is None  # a quiet stream is no evidence of anything
    live.expect("ka")
    live.inbound(1000.0)
    assert live.verdict(1012.5) == "no keep-alive from the server for 12 s"
    live.expect("heartbeat")
    live.expect("ka")  # heartbeats win: `ka` does not lower the bar again
    assert live.verdict(1012.5) is None
    assert live.verdict(1031.0) == "no heartbeat or other message for 31 s"
    live.inbound(1031.0)
    assert live.verdict(1031.0) is None


def test_no_pings_without_an_interval_and_a_tick_under_the_shortest_deadline():
    quiet = Deadlines(ping_interval=None, ping_timeout=None, heartbeat_timeout=2.0, keepalive_timeout=12.0)
    live = Liveness(quiet, now=0.0)
    live.start_pinging(0.0)
    assert not live.ping_due(1e9)
    assert quiet.tick() == 0.5
    assert DEADLINES.tick() == 1.0
