"""streams.py: one value per subscription, which the model, the documents and the filters read."""

from datetime import UTC, datetime

import pytest

from incident_cli import model, operations, streams

NOW = datetime(2026, 12, 6, tzinfo=UTC)
VALUES = {"incident": {"id": "i1", "severity": "P1"}, "update": {"incidentId": "i1", "updateType": "COMMENT"},
          "state_change": {"incidentId": "i1", "newState": "RESOLVED"}, "alert": {"id": "a1", "severity": "P2"}}


@pytest.mark.parametrize("stream", list(streams.STREAMS.values()), ids=lambda stream: stream.name)
def test_each_streams_messages_become_the_event_it_says_and_its_document_selects_its_fields(stream):
    event = model.stream_event(stream.root, {stream.root: VALUES[stream.makes]}, NOW)
    assert event.kind == stream.makes
    operation = operations.subscription(stream.name)
    assert operation.label == stream.root and f"{stream.root} {{ {stream.fields} }}" in operation.document


def test_what_a_stream_carries_is_what_the_server_filtered_and_the_client_narrows():
    critical = streams.STREAMS["critical"]
    assert critical.carries == streams.CRITICAL and not critical.takes_severities
    assert operations.subscription("critical").server_severities == frozenset(streams.CRITICAL)
    assert operations.subscription("critical", severities=("P0",)).client_severities == frozenset({"P0"})
    assert operations.subscription("critical", severities=("P0", "P1", "P2")).client_severities is None
    assert operations.subscription("new", severities=("P2",)).server_severities == frozenset({"P2"})


def test_the_derived_sets_follow_the_values():
    assert streams.INCIDENT_ROOTS == {streams.NEW_INCIDENTS, streams.CRITICAL_INCIDENTS}
    assert streams.INCIDENT_STREAMS == streams.INCIDENT_ROOTS | {streams.INCIDENT_UPDATES, streams.STATE_CHANGES}
    assert streams.MAKES[streams.ONE_INCIDENT] == "incident"  # watch --incident's subscription, where a server has it
