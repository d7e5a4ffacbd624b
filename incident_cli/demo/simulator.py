"""A seeded incident world: a store, a pub/sub hub, and a simulator driving lifecycles.

Records are plain dicts with the GraphQL field names, so graphql-core's default resolvers
serve them as they are. Everything random comes from one ``random.Random(seed)``: the same
seed gives the same incidents, in the same order, with the same ids.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

# A realistic mix, weighted a little towards what on-call cares about so a demo shows it.
SEVERITY_WEIGHTS = {"P0": 8, "P1": 20, "P2": 30, "P3": 25, "P4": 17}
LIFECYCLE = ("NEW", "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED", "CLOSED")
ACTIVE_STATES = frozenset(LIFECYCLE[:4])
INCIDENT_TYPES = ("AVAILABILITY", "PERFORMANCE", "SECURITY", "DATA_INTEGRITY", "CAPACITY", "CONFIGURATION")
SOURCES = ("prometheus", "datadog", "sentry", "pagerduty", "cloudwatch", "synthetics")
SERVICES = ("api-gateway", "checkout", "payments", "search", "auth", "postgres-primary", "kafka", "cdn-edge")
SYMPTOMS = (
    "elevated 5xx rate",
    "p99 latency above SLO",
    "error budget burn",
    "replication lag",
    "certificate expiring",
    "pod crash loop",
    "disk almost full",
    "queue backlog growing",
)
PEOPLE = ("alice", "bob", "chen", "dana", "emeka", "farah")
HEARTBEAT_INTERVAL = 5.0  # the reference server's period (API.md)
QUEUE_LIMIT = 10_000  # per subscriber; a stalled client loses the oldest, the server survives


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Hub:
    """Fan-out of published events to every live subscriber of a topic."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Any]]] = {}
        self.published: deque[tuple[str, Any]] = deque(maxlen=QUEUE_LIMIT)  # recent, for tests

    def publish(self, topic: str, payload: Any) -> None:
        self.published.append((topic, payload))
        for queue in self._subscribers.get(topic, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(payload)

    async def listen(self, topic: str, keep: Callable[[Any], bool] = lambda _: True) -> AsyncIterator[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            while True:
                payload = await queue.get()
                if keep(payload):
                    yield payload
        finally:
            self._subscribers[topic].discard(queue)

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))


class Simulator:
    """Creates incidents and moves them through their lifecycle, publishing every change."""

    def __init__(self, hub: Hub, *, seed: int = 7, initial: int = 6, title_hook: Callable[[int], str] | None = None):
        self.hub = hub
        self.rng = random.Random(seed)
        self.incidents: dict[str, dict[str, Any]] = {}
        self.actions = 0
        self._title_hook = title_hook
        self._created = 0
        self._initial = initial
        for _ in range(initial):
            self._new_incident(publish=False)

    def new_world(self, seed: int) -> None:
        """Another seeded world, as a server restarted on a fresh store: none of the old incidents
        exist any more. Nothing is published (nobody was connected to hear it)."""
        self.rng = random.Random(seed)
        self.incidents = {}
        for _ in range(self._initial):
            self._new_incident(publish=False)

    def resolve_quietly(self, every: int = 2) -> list[str]:
        """Resolve every ``every``th active incident without publishing, as happens while a client
        is away; their ids."""
        chosen = self.active()[::every]
        stamp = now_iso()
        for incident in chosen:
            incident.update(state="RESOLVED", resolvedAt=stamp, updatedAt=stamp)
        return [incident["id"] for incident in chosen]

    # ---- queries -----------------------------------------------------------------------

    def active(self) -> list[dict[str, Any]]:
        return [incident for incident in self.incidents.values() if incident["state"] in ACTIVE_STATES]

    # ---- the world moving ------------------------------------------------------------

    def step(self) -> None:
        """One action: a new incident, a transition, an assignment, a comment or an alert."""
        self.actions += 1
        active = self.active()
        roll = self.rng.random()
        if not active or roll < 0.3:
            self._new_incident(publish=True)
        elif roll < 0.75:
            self._advance(self.rng.choice(active))
        elif roll < 0.85:
            self._assign(self.rng.choice(active))
        elif roll < 0.95:
            self._comment(self.rng.choice(active))
        else:
            self._alert()
        self._forget_closed()

    async def run(self, rate: float) -> None:
        """Step ``rate`` times a second (with jitter) until cancelled."""
        while True:
            await asyncio.sleep(self.rng.expovariate(rate) if rate > 0 else 3600)
            self.step()

    async def heartbeats(self, interval: float = HEARTBEAT_INTERVAL) -> None:
        while True:
            await asyncio.sleep(interval)
            self.hub.publish("update", {"updateType": "HEARTBEAT", "incidentId": None, "timestamp": now_iso()})

    # ---- actions -----------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _new_incident(self, *, publish: bool) -> dict[str, Any]:
        self._created += 1
        severity = self.rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        service = self.rng.choice(SERVICES)
        symptom = self.rng.choice(SYMPTOMS)
        title = self._title_hook(self._created) if self._title_hook else f"{service}: {symptom}"
        stamp = now_iso()
        incident_id = self._uuid()
        incident: dict[str, Any] = {
            "id": incident_id,
            "title": title,
            "description": f"{symptom.capitalize()} on {service}.\nDetected by automated monitoring.",
            "severity": severity,
            "state": "NEW",
            "incidentType": self.rng.choice(INCIDENT_TYPES),
            "source": self.rng.choice(SOURCES),
            "createdAt": stamp,
            "updatedAt": stamp,
            "resolvedAt": None,
            "assignedTo": None,
            "affectedResources": sorted(self.rng.sample(SERVICES, self.rng.randint(1, 3))),
            "labels": {"team": self.rng.choice(("sre", "payments", "platform")), "region": "eu-west-1"},
            "metadata": {"runbook": f"https://runbooks.example/{service}"},
        }
        self.incidents[incident_id] = incident
        if publish:
            self.hub.publish("incident", dict(incident))
            self._update(incident, "CREATED")
        return incident

    def _update(self, incident: dict[str, Any], update_type: str) -> None:
        incident["updatedAt"] = now_iso()
        self.hub.publish(
            "update",
            {
                "updateType": update_type,
                "incidentId": incident["id"],
                "timestamp": incident["updatedAt"],
                "_severity": incident["severity"],  # for filtering; not in the schema
                "_state": incident["state"],
            },
        )

    def updated(self, incident: dict[str, Any], update_type: str) -> None:
        """A change made through the API (demo/mutations.py): published as the simulator's own."""
        self._update(incident, update_type)

    def move(self, incident: dict[str, Any], new: str, actor: str) -> None:
        """Move an incident to ``new`` (the workflow was checked) and publish it, by ``actor``."""
        self._move(incident, new, actor)

    def _advance(self, incident: dict[str, Any]) -> None:
        old = incident["state"]
        new = LIFECYCLE[LIFECYCLE.index(old) + 1]
        if new == "MONITORING" and self.rng.random() < 0.3:
            new = "RESOLVED"
        self._move(incident, new, incident["assignedTo"] or "automation")

    def _move(self, incident: dict[str, Any], new: str, actor: str) -> None:
        old = incident["state"]
        incident["state"] = new
        if new == "RESOLVED":
            incident["resolvedAt"] = now_iso()
        self.hub.publish(
            "state_change",
            {"incidentId": incident["id"], "oldState": old, "newState": new, "changedBy": actor, "timestamp": now_iso()},
        )
        self._update(incident, "RESOLVED" if new == "RESOLVED" else "STATE_CHANGED")
        if new == "RESOLVED":
            # Resolved incidents close a little later, as the on-call confirms.
            incident["_close_after"] = self.actions + self.rng.randint(3, 10)

    def _assign(self, incident: dict[str, Any]) -> None:
        incident["assignedTo"] = self.rng.choice(PEOPLE)
        incident.pop("assignees", None)  # one owner now, whoever the API had named
        self._update(incident, "ASSIGNED")

    def _comment(self, incident: dict[str, Any]) -> None:
        self._update(incident, "COMMENT_ADDED")

    def _alert(self) -> None:
        service = self.rng.choice(SERVICES)
        self.hub.publish(
            "alert",
            {
                "id": self._uuid(),
                "externalId": f"ext-{self.rng.randint(1000, 9999)}",
                "source": self.rng.choice(SOURCES),
                "title": f"{service}: {self.rng.choice(SYMPTOMS)}",
                "description": None,
                "severity": self.rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0],
                "alertType": "metric",
                "labels": {"service": service},
                "affectedServices": [service],
                "runbookUrl": None,
                "annotations": {},
                "receivedAt": now_iso(),
                "status": "FIRING",
            },
        )

    def _forget_closed(self) -> None:
        for incident in list(self.incidents.values()):
            if incident["state"] == "RESOLVED" and incident.get("_close_after", 0) <= self.actions:
                incident.pop("_close_after", None)
                self._advance_to_closed(incident)
        # Keep the store bounded over a long demo: drop the oldest closed incidents.
        closed = [i for i in self.incidents.values() if i["state"] == "CLOSED"]
        for incident in closed[: max(0, len(closed) - 200)]:
            del self.incidents[incident["id"]]

    def _advance_to_closed(self, incident: dict[str, Any]) -> None:
        incident["state"] = "CLOSED"
        self.hub.publish(
            "state_change",
            {
                "incidentId": incident["id"],
                "oldState": "RESOLVED",
                "newState": "CLOSED",
                "changedBy": incident["assignedTo"] or "automation",
                "timestamp": now_iso(),
            },
        )
        self._update(incident, "STATE_CHANGED")
