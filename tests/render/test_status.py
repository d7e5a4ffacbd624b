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
    status.report(model.OperationEnded(subscription="alerts", errors=("bad enum",)))
    assert stream.getvalue().splitlines() == [
        "incidents: closed with 1012 (^[[2Jrestart); reconnecting in 1.2 s (attempt 2)",
        "incidents: reconnected to ws://h/x (graphql-ws)",
        "incidents: warning: newIncidents: the server reported errors: partial ^G",
        "incidents: error: alerts: bad enum",
    ]
