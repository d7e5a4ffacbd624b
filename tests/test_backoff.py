import random

from incident_cli.backoff import BackoffPolicy


def test_delays_grow_to_the_cap_with_jitter_below_the_ceiling():
    policy = BackoffPolicy(base=1.0, factor=2.0, cap=60.0, floor=0.1, fast_retries=1)
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        draws = [policy.delay(attempt, rng=rng) for _ in range(50)]
        assert all(0.1 <= d <= ceiling for d in draws)
    late = [policy.delay(20, rng=rng) for _ in range(200)]
    assert max(late) <= 60.0 and max(late) > 30.0  # jitter spreads over the whole range


def test_the_first_retries_of_an_outage_stay_under_the_base_then_double():
    policy = BackoffPolicy(base=1.0, factor=2.0, cap=60.0, floor=0.1, fast_retries=8)
    rng = random.Random(2)
    for attempt in range(0, 9):
        assert all(0.1 <= policy.delay(attempt, rng=rng) <= 1.0 for _ in range(50))
    later = [policy.delay(10, rng=rng) for _ in range(200)]
    assert max(later) <= 4.0 and max(later) > 2.0  # doubling resumes from the base: 2 ** (10 - 8)


def test_rate_limited_waits_longer():
    policy = BackoffPolicy()
    rng_a, rng_b = random.Random(5), random.Random(5)
    assert policy.delay(1, rng=rng_a, rate_limited=True) == max(policy.floor, 4 * policy.delay(1, rng=rng_b))


def test_attempts_reset_only_after_a_healthy_connection():
    policy = BackoffPolicy(healthy_after=10.0)
    assert policy.next_attempt(5, acknowledged=True, uptime=11.0) == 1
    assert policy.next_attempt(5, acknowledged=True, uptime=2.0) == 6  # acked then dropped at once
    assert policy.next_attempt(5, acknowledged=False, uptime=100.0) == 6


def test_a_servers_hint_is_the_least_wait_even_past_the_cap_but_not_forever():
    from incident_cli.backoff import MAX_HINT

    policy = BackoffPolicy(base=0.02, cap=0.1, floor=0.01)
    assert policy.delay(1, rng=random.Random(3), retry_after=0.3) == 0.3
    assert policy.delay(1, rng=random.Random(3), retry_after=86_400) == MAX_HINT
    assert policy.delay(1, rng=random.Random(3), retry_after=0.001) >= 0.01
    assert policy.healthy(10.0) and not policy.healthy(9.9)


def test_the_fast_retries_are_paced_so_a_server_that_closes_at_once_gets_at_most_five_in_three_seconds():
    policy = BackoffPolicy()
    for seed in range(200):
        rng = random.Random(seed)
        waits = [policy.delay(attempt, rng=rng) for attempt in range(1, 6)]
        assert sum(waits[:5]) >= 3.0  # the sixth connection comes after 3 s, whatever the draws
        assert waits[0] <= 1.0  # and a restarted server is back within a second
