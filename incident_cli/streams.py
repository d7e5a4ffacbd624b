"""The server's subscriptions, one value each (``Stream``): its --subscribe name, root field,
the event its messages become, its arguments and selection (the document), and the severities
it carries by definition (``criticalIncidents``: the critical ones). Every other module reads
these from here: root names and "P0, P1" are written nowhere else. Pure.
"""

from __future__ import annotations

from incident_cli.values import frozen

CRITICAL_INCIDENTS = "criticalIncidents"
NEW_INCIDENTS = "newIncidents"
INCIDENT_UPDATES = "incidentUpdates"
STATE_CHANGES = "incidentStateChanges"
ALERTS = "alerts"
ONE_INCIDENT = "incident"  # a server's subscription to one incident (watch --incident), where it has one

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")  # the highest first
CRITICAL = ("P0", "P1")  # the severities criticalIncidents carries

INCIDENT_FIELDS = (
    "id title description severity state incidentType source createdAt updatedAt "
    "resolvedAt assignedTo affectedResources labels"
)
UPDATE_FIELDS = "updateType incidentId timestamp"
STATE_CHANGE_FIELDS = "incidentId oldState newState changedBy timestamp"
ALERT_FIELDS = (
    "id externalId source title description severity alertType labels affectedServices "
    "runbookUrl receivedAt status"
)


@frozen
class Stream:
    """One of the server's subscriptions."""

    name: str  # the CLI name, for --subscribe
    root: str  # the GraphQL root field
    makes: str  # the event kind of its messages (model.stream_event): incident, update, state_change, alert
    arguments: dict[str, str]  # argument name -> GraphQL type
    fields: str  # what it selects
    carries: tuple[str, ...] = ()  # the severities every message of it has, by definition

    @property
    def takes_severities(self) -> bool:
        return "severities" in self.arguments


STREAMS: dict[str, Stream] = {
    stream.name: stream
    for stream in (
        Stream(name="critical", root=CRITICAL_INCIDENTS, makes="incident", arguments={}, fields=INCIDENT_FIELDS,
               carries=CRITICAL),
        Stream(name="new", root=NEW_INCIDENTS, makes="incident", arguments={"severities": "[Severity!]"},
               fields=INCIDENT_FIELDS),
        Stream(name="updates", root=INCIDENT_UPDATES, makes="update",
               arguments={"incidentIds": "[UUID!]", "severities": "[Severity!]", "activeOnly": "Boolean"},
               fields=UPDATE_FIELDS),
        Stream(name="state-changes", root=STATE_CHANGES, makes="state_change", arguments={"incidentId": "UUID"},
               fields=STATE_CHANGE_FIELDS),
        Stream(name="alerts", root=ALERTS, makes="alert", arguments={"sources": "[String!]"}, fields=ALERT_FIELDS),
    )
}
BY_ROOT: dict[str, Stream] = {stream.root: stream for stream in STREAMS.values()}
# What each root's messages become, the one-incident subscription included (model.stream_event).
MAKES: dict[str, str] = {**{root: stream.makes for root, stream in BY_ROOT.items()}, ONE_INCIDENT: "incident"}

INCIDENT_STREAMS = frozenset(root for root, stream in BY_ROOT.items() if stream.makes != "alert")  # about incidents
INCIDENT_ROOTS = frozenset(root for root, stream in BY_ROOT.items() if stream.makes == "incident")  # each an incident
