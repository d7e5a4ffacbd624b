"""The server's subscriptions, named once: each root field the client follows, and which
severities count as critical (what ``criticalIncidents`` carries). Every other module reads
these names from here. Pure.
"""

from __future__ import annotations

CRITICAL_INCIDENTS = "criticalIncidents"
NEW_INCIDENTS = "newIncidents"
INCIDENT_UPDATES = "incidentUpdates"
STATE_CHANGES = "incidentStateChanges"
ALERTS = "alerts"

INCIDENT_STREAMS = frozenset({NEW_INCIDENTS, CRITICAL_INCIDENTS, INCIDENT_UPDATES, STATE_CHANGES})  # about incidents
INCIDENT_ROOTS = frozenset({NEW_INCIDENTS, CRITICAL_INCIDENTS})  # each message is an incident itself

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")  # the highest first
CRITICAL = ("P0", "P1")  # the severities criticalIncidents carries
