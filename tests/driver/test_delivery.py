"""Delivery: events go one way, into the consumer's inbox; a handover's overlap is passed on once."""

from datetime import UTC, datetime

from incident_cli import model
from incident_cli.driver.delivery import Delivery
from incident_cli.driver.inbox import Inbox
from tests.helpers import run


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


AT = datetime(2026, 12, 1, tzinfo=UTC)


def event(label="new", incident="a"):
    return model.StreamEvent(subscription=label, received_at=AT, data={"id": incident})


def delivered(inbox):
    return run(inbox.take_all()) if len(inbox) else []


def test_outside_a_handover_every_event_is_passed_on_even_a_repeat():
    inbox = Inbox()
    delivery = Delivery(inbox, Clock())
    delivery.put(event())
    delivery.put(event())  # the server may send the same thing twice: not ours to drop
    assert delivered(inbox) == [event(), event()]


def test_during_a_handover_what_both_connections_deliver_is_passed_on_once():
    inbox, clock = Inbox(), Clock()
    delivery = Delivery(inbox, clock)
    delivery.overlap()
    delivery.put(event("new", "a"))  # the old connection
    delivery.put(event("new", "a"))  # the new one, the same event
    delivery.put(event("updates", "a"))  # same data, another stream: not a duplicate
    assert delivered(inbox) == [event("new", "a"), event("updates", "a")]


def test_the_overlap_ends_a_while_after_the_old_connection_closes():
    inbox, clock = Inbox(), Clock()
    delivery = Delivery(inbox, clock)
    delivery.overlap()
    delivery.put(event())
    delivery.overlap_for(2.0)
    clock.now += 1.0
    delivery.put(event())  # the new socket lagging behind: still dropped
    clock.now += 1.5
    delivery.put(event())  # past the overlap: passed on
    assert delivered(inbox) == [event(), event()]


def test_a_failed_handover_stops_de_duplicating_at_once():
    inbox = Inbox()
    delivery = Delivery(inbox, Clock())
    delivery.overlap()
    delivery.put(event())
    delivery.no_overlap()
    delivery.put(event())
    assert delivered(inbox) == [event(), event()]


def test_other_events_are_never_de_duplicated():
    inbox = Inbox()
    delivery = Delivery(inbox, Clock())
    delivery.overlap()
    warning = model.ServerWarning(subscription="new", messages=("partial",))
    delivery.put(warning)
    delivery.put(warning)
    assert delivered(inbox) == [warning, warning]


def test_it_notes_whether_a_marked_operation_has_delivered_since():
    delivery = Delivery(Inbox(), Clock())
    assert not delivery.delivered_since_marked("new")
    delivery.mark("new")
    delivery.put(event("updates"))
    assert not delivery.delivered_since_marked("new")
    delivery.put(event("new"))
    assert delivery.delivered_since_marked("new")
    delivery.mark("new")
    assert not delivery.delivered_since_marked("new")
    delivery.forget("new")
    delivery.put(event("new"))
    assert not delivery.delivered_since_marked("new")  # forgotten: no longer watched
