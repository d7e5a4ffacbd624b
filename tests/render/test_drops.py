from incident_cli import model
from incident_cli.render.drops import DropReports


def test_the_first_drop_is_said_at_once_then_at_most_once_per_period_with_the_count_since():
    clock = [0.0]
    drops = DropReports(every=5.0, clock=lambda: clock[0])
    assert drops.dropped(3) == model.OutputDropped(count=3, total=3)
    clock[0] = 4.9
    assert drops.dropped(100) is None
    clock[0] = 5.0
    assert drops.dropped(2) == model.OutputDropped(count=102, total=105)
    clock[0] = 6.0
    assert drops.dropped(7) is None
    assert drops.final() == model.OutputDropped(count=7, total=112, final=True)


def test_nothing_dropped_nothing_said():
    assert DropReports().final() is None
