import pytest

from incident_cli.demo.faults import Faults, parse_faults


def test_parse_faults_types():
    faults = parse_faults(["close_after=3", "close-code=1012", "skip_ack=yes", "ack_delay=0.5", "close_reason=bye"])
    assert faults == Faults(close_after=3, close_code=1012, skip_ack=True, ack_delay=0.5, close_reason="bye")
    assert parse_faults(None) == Faults()


@pytest.mark.parametrize("item", ["explode=1", "close_after", "close_after=x", "skip_ack=maybe"])
def test_bad_faults(item):
    with pytest.raises(ValueError):
        parse_faults([item])


def test_faults_limited_to_the_first_connections():
    faults = Faults(close_after=2, connections=1, ping_interval=0.5)
    assert faults.active_for(1) is faults
    later = faults.active_for(2)
    assert later.close_after is None and later.ping_interval == 0.5
