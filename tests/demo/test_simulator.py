import asyncio

from incident_cli.demo.simulator import ACTIVE_STATES, LIFECYCLE, Hub, Simulator
from tests.helpers import run


def test_same_seed_same_world():
    a, b = Simulator(Hub(), seed=11), Simulator(Hub(), seed=11)
    for _ in range(50):
        a.step()
        b.step()
    strip = lambda sim: [(i["id"], i["title"], i["severity"], i["state"]) for i in sim.incidents.values()]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(Simulator(Hub(), seed=12)) != strip(Simulator(Hub(), seed=11))


def test_lifecycle_moves_forward_and_publishes_every_change():
    async def body():
        hub = Hub()
        sim = Simulator(hub, seed=3, initial=0)
        seen = {"incident": [], "update": [], "state_change": []}

        async def listen(topic):
            async for payload in hub.listen(topic):
                seen[topic].append(payload)

        tasks = [asyncio.create_task(listen(topic)) for topic in seen]
        await asyncio.sleep(0)
        for _ in range(400):
            sim.step()
        await asyncio.sleep(0)
        for task in tasks:
            task.cancel()
        return sim, seen

    sim, seen = run(body())
    assert seen["incident"] and seen["state_change"]
    for change in seen["state_change"]:
        assert LIFECYCLE.index(change["newState"]) > LIFECYCLE.index(change["oldState"])
    assert {u["updateType"] for u in seen["update"]} >= {"CREATED", "STATE_CHANGED", "ASSIGNED", "RESOLVED"}
    severities = {i["severity"] for i in seen["incident"]}
    assert {"P0", "P1"} & severities and {"P3", "P4"} & severities  # a realistic mix
    assert len(sim.incidents) <= 400  # closed incidents are forgotten: bounded


def test_heartbeats_reach_subscribers():
    async def body():
        hub = Hub()
        sim = Simulator(hub, initial=0)
        beats = asyncio.create_task(sim.heartbeats(0.01))
        async for update in hub.listen("update"):
            beats.cancel()
            return update

    update = run(body(), timeout=5)
    assert update["updateType"] == "HEARTBEAT" and update["incidentId"] is None


def test_a_stalled_subscriber_loses_the_oldest_not_the_server():
    async def body():
        hub = Hub()
        listener = hub.listen("t")
        first = asyncio.ensure_future(listener.__anext__())
        await asyncio.sleep(0)
        for n in range(20_000):
            hub.publish("t", n)
        return await first

    assert run(body()) > 0  # the earliest items were dropped


def test_active_is_the_open_states():
    sim = Simulator(Hub(), initial=5)
    assert len(sim.active()) == 5 and all(i["state"] in ACTIVE_STATES for i in sim.active())
