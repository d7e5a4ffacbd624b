import io

from incident_cli import model
from incident_cli.render.status import StatusLines


def test_status_lines():
    stream = io.StringIO()
    status = StatusLines(stream)
    status.report(model.Connected(server="ws://h/x", subprotocol="graphql-transport-ws", attempt=1))
    assert stream.getvalue() == ""  # the first connection is not news
    status.report(model.Reconnecting(reason="closed with 1012 (\x1b[2Jrestart)", attempt=2, delay=1.25))
    status.report(model.Connected(server="ws://h/x", subprotocol="graphql-ws", attempt=2))
    status.report(model.ServerWarning(subscription="newIncidents", messages=("partial \x07",)))
    status.report(model.OperationEnded(subscription="newIncidents"))
    status.report(model.OperationEnded(subscription="alerts", errors=("bad enum",), remaining=("newIncidents",)))
    # The last operation of a lone server ending with errors ends the run, whose own error says it: not twice.
    status.report(model.OperationEnded(subscription="newIncidents", errors=("gave up after 5 failures",)))
    status.for_source("eu").report(model.OperationEnded(subscription="alerts", errors=("boom",)))
    assert stream.getvalue().splitlines() == [
        "incidents: closed with 1012 (^[[2Jrestart); reconnecting in 1.2 s (attempt 2)",
        "incidents: reconnected to ws://h/x (graphql-ws)",
        "incidents: warning: newIncidents: the server reported errors: partial ^G",
        "incidents: error: alerts: bad enum",
        "incidents: eu: error: alerts: boom",
    ]


def test_what_the_tool_says_about_itself_and_about_streams_that_end_or_fail():
    stream = io.StringIO()
    status = StatusLines(stream)
    status.report(model.OperationEnded(subscription="newIncidents", remaining=("incidentUpdates", "incidentStateChanges")))
    status.report(model.Resubscribing(subscription="alerts", reason="INTERNAL_SERVER_ERROR: boom\x1b[2J", attempt=2, delay=1.5))
    status.report(model.ClientWarning(message="the local clock is 600 s behind the server's"))
    status.report(model.RunCoverage(duration=5.0, connected=3.25, disconnects=1, partial=True))
    status.report(model.RunCoverage(duration=5.0, connected=4.99, disconnects=0, partial=False))
    assert stream.getvalue().splitlines() == [
        "incidents: warning: the server ended the newIncidents stream; still following incidentUpdates, incidentStateChanges",
        "incidents: warning: alerts: the server ended it with an error (INTERNAL_SERVER_ERROR: boom^[[2J); "
        "subscribing again in 1.5 s (attempt 2)",
        "incidents: warning: the local clock is 600 s behind the server's",
        "incidents: warning: connected for 3.2 s of the 5.0 s run; 1 disconnect: what happened while disconnected was not streamed",
    ]


def test_an_outage_with_one_reason_is_a_few_lines_not_one_per_attempt():
    stream = io.StringIO()
    clock = [0.0]
    status = StatusLines(stream, clock=lambda: clock[0])
    refused = "cannot connect to ws://h/x: Connection refused"
    for attempt in range(2, 121):  # two hours of retries, a minute apart
        clock[0] += 60.0
        status.report(model.Reconnecting(reason=refused, attempt=attempt, delay=60.0))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "incidents: cannot connect to ws://h/x: Connection refused; reconnecting in 60.0 s (attempt 2)"
    assert lines[1] == "incidents: still cannot connect to ws://h/x: Connection refused; attempt 4, next in 60.0 s"
    assert 20 <= len(lines) <= 30  # powers of two, and every five minutes
    status.report(model.Reconnecting(reason="closed with 1012 (restart)", attempt=121, delay=1.0))
    status.report(model.Reconnecting(reason="closed with 1012 (restart)", attempt=128, delay=1.0))
    assert stream.getvalue().splitlines()[-2:] == [
        "incidents: closed with 1012 (restart); reconnecting in 1.0 s (attempt 121)",  # a new reason is said at once
        "incidents: still failing: closed with 1012 (restart); attempt 128, next in 1.0 s",
    ]


def test_the_coverage_warning_says_when_the_gaps_were_repaired():
    import io

    from incident_cli import model
    from incident_cli.render.status import StatusLines

    stream = io.StringIO()
    lines = StatusLines(stream)
    lines.report(model.RunCoverage(duration=10.0, connected=8.0, disconnects=1, partial=True, repaired=1))
    lines.report(model.RunCoverage(duration=10.0, connected=8.0, disconnects=2, partial=True, repaired=1))
    lines.report(model.RunCoverage(duration=10.0, connected=8.0, disconnects=1, partial=True))
    first, second, third = stream.getvalue().splitlines()
    assert first.endswith("was not streamed, and each gap was repaired from the server's list")
    assert second.endswith("was not streamed, 1 of the gaps repaired from the server's list")
    assert third.endswith("what happened while disconnected was not streamed")
