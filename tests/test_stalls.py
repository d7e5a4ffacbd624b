"""A process that stopped running: the gap after it starts where the stall began."""

from incident_cli.stalls import RECENT, Stalls


def test_a_late_tick_is_a_stall_and_a_loss_soon_after_counts_from_its_start():
    stalls = Stalls()
    for second in range(10):
        stalls.tick(1000.0 + second)
    assert stalls.gap_start(1009.5, 1010.0) == 1009.5  # no stall: the last message read
    stalls.tick(1049.0)  # 40 s without a tick: the process was stopped from 1009
    # The frames the kernel kept are read after the resume: the last one "arrived" at 1049.2.
    assert stalls.gap_start(1049.2, 1049.4) == 1009.0
    assert stalls.gap_start(None, 1050.0) == 1009.0
    # A stall long over says nothing about a loss much later.
    assert stalls.gap_start(1049.2 + RECENT, 1049.0 + RECENT + 1) == 1049.2 + RECENT


def test_regular_ticks_are_no_stall():
    stalls = Stalls()
    for second in range(100):
        stalls.tick(second * 1.9)
    assert stalls.gap_start(190.0, 191.0) == 190.0
