"""The same command against the reference schema and a drifted one (API.md, "Schema drift")."""

import asyncio
import hashlib
import json
import os
import subprocess
import time

import pytest
from graphql import graphql_sync

from incident_cli import schema
from incident_cli.demo.schema import executable_schema
from incident_cli.demo.server import DemoServer, ServerOptions
from incident_cli.demo.simulator import Hub, Simulator
from tests.helpers import INCIDENTS, incidents, run, seconds


def env(cache):
    base = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}
    return {**base, "XDG_CACHE_HOME": str(cache)}


async def cli(*args, environ):
    proc = await asyncio.create_subprocess_exec(*INCIDENTS, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
    out, err = await asyncio.wait_for(proc.communicate(), seconds(40))
    return proc.returncode, out.decode(), err.decode()


def against(variant, test, **options):
    async def body():
        server = await DemoServer(ServerOptions(rate=100, heartbeat_interval=0.2, schema_variant=variant, **options)).start()
        try:
            return await test(server)
        finally:
            await server.stop()

    return run(body(), timeout=60)


def cache_schema(cache, url, variant):
    """A fresh cache entry for ``url`` holding ``variant``'s schema, whatever the server there serves."""
    data = graphql_sync(executable_schema(Simulator(Hub(), initial=0), variant), schema.INTROSPECTION).data
    path = cache / "incidents" / "schema" / (hashlib.sha256(url.encode()).hexdigest()[:20] + ".json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"fetched_at": time.time(), "data": data}))


def introspections(server):
    return [m for m in server.received if m["type"] == "subscribe" and "__schema" in m["payload"]["query"]]


@pytest.mark.parametrize("variant", ["reference", "drifted"])
@pytest.mark.parametrize("mode", ["jsonl", "text"])
def test_the_same_command_works_on_every_variant(tmp_path, variant, mode):
    async def test(server):
        return await cli("watch", "--url", server.url, "--severity", "P0,P1", "-n", "10", "-o", mode, environ=env(tmp_path))

    code, out, err = against(variant, test)
    assert code == 0, err
    assert "error" not in err and "Cannot query" not in err
    lines = out.splitlines()
    assert len(lines) == 10
    if mode == "jsonl":
        assert {json.loads(line)["severity"] for line in lines} <= {"P0", "P1"}
    else:
        assert {line.split()[1] for line in lines} <= {"P0", "P1"}
    if variant == "drifted":
        assert "no criticalIncidents" not in err  # not asked for
        assert "newIncidents takes no severities argument" in err


def test_the_table_works_on_the_drifted_variant(tmp_path):
    async def test(server):
        return await cli("watch", "--url", server.url, "--severity", "P0,P1", "-o", "table", "--for", "2s",
                         environ=env(tmp_path))

    code, out, err = against("drifted", test)
    assert code == 0 and "Cannot query" not in err and "error" not in err
    assert "TRIAGED" in out or "DETECTED" in out or "INVESTIGATING" in out  # drifted states shown as they come


def test_the_cache_saves_the_round_trip(tmp_path):
    async def test(server):
        await cli("watch", "--url", server.url, "-n", "2", environ=env(tmp_path))
        await cli("watch", "--url", server.url, "-n", "2", environ=env(tmp_path))
        return len(introspections(server))

    assert against("reference", test) == 1


def test_a_stale_cache_is_refreshed_when_the_server_rejects_a_document(tmp_path):
    async def test(server):
        cache_schema(tmp_path, server.url, "reference")
        code, out, err = await cli("watch", "--url", server.url, "--subscribe", "new", "-n", "3", environ=env(tmp_path))
        return code, out, err, len(introspections(server))

    code, out, err, fetched = against("drifted", test)
    assert code == 0, err
    assert len(out.splitlines()) == 3 and fetched == 1  # the stale view was rejected, then read again once
    assert "reading its schema again" in err


def test_a_custom_query_with_a_typo_is_refused_before_it_is_sent(tmp_path):
    async def test(server):
        proc = await asyncio.create_subprocess_exec(
            *INCIDENTS, "watch", "--url", server.url, "-q", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env(tmp_path),
        )
        out, err = await asyncio.wait_for(proc.communicate(b"subscription { newIncidents { titel severity } }"), seconds(30))
        sent = [m for m in server.received if m["type"] == "subscribe" and "titel" in m["payload"]["query"]]
        return proc.returncode, err.decode(), sent

    code, err, sent = against("reference", test)
    assert code == 65 and sent == []
    assert "Cannot query field 'titel' on type 'Incident'. Did you mean 'title'" in err and err.count("\n") == 1


def test_incidents_schema_shows_the_differences(tmp_path):
    async def test(server):
        text = await cli("schema", "--url", server.url, environ=env(tmp_path))
        as_json = await cli("schema", "--url", server.url, "--json", environ=env(tmp_path))
        return text, as_json

    (code, out, err), (json_code, json_out, _) = against("drifted", test)
    assert code == 0, err
    assert "subscription criticalIncidents is missing" in out and "newIncidents\n" in out
    assert "IncidentState      DETECTED TRIAGED" in out
    report = json.loads(json_out)
    assert json_code == 0 and "criticalIncidents" not in report["subscriptions"]
    assert report["subscriptions"]["incidentUpdates"]["severities"] == "[Severity!]"
    assert any("labels" in line for line in report["differences"])


def test_incidents_schema_names_the_server_and_the_reason_when_it_cannot_ask(tmp_path):
    result = incidents("schema", "--url", "ws://127.0.0.1:9/graphql/ws", env=env(tmp_path))
    assert result.returncode == 69
    assert result.stderr == "incidents: error: cannot connect to ws://127.0.0.1:9/graphql/ws: Connection refused\n"


def test_incidents_schema_reads_a_subscriptions_only_server_over_http(tmp_path):
    async def test(server):
        return await cli("schema", "--url", server.url, "--json", environ=env(tmp_path))

    code, out, err = against("reference", test, protocols=("graphql-ws",), http=True, socket_queries=False)
    assert code == 0, err
    assert "newIncidents" in json.loads(out)["subscriptions"]


def test_a_state_a_stale_cache_lacks_is_checked_with_the_server_not_refused(tmp_path):
    # The cache holds another schema for this address (a deploy renamed the states since, or another
    # server had the port): --state NEW is the server's own, so the watch asks it before refusing.
    async def test(server):
        cache_schema(tmp_path, server.url, "drifted")
        code, out, err = await cli("watch", "--url", server.url, "--state", "NEW", "-n", "3", environ=env(tmp_path))
        return code, out, err, len(introspections(server))

    code, out, err, fetched = against("reference", test)
    assert code == 0, err
    assert len(out.splitlines()) == 3 and fetched == 1  # read again once, then the filter ran against it


@pytest.mark.parametrize(("variant", "foreign", "own"), [("reference", "DETECTED", "NEW"), ("drifted", "NEW", "DETECTED")])
def test_a_state_the_servers_schema_does_not_have_is_a_usage_error_naming_the_ones_it_has(tmp_path, variant, foreign, own):
    from tests.helpers import demo

    with demo("--rate", "0", "--schema-variant", variant) as url:
        wrong = incidents("list", "--url", url, "--state", foreign, "-o", "jsonl", env=env(tmp_path))
        right = incidents("list", "--url", url, "--state", own, "-o", "jsonl", env=env(tmp_path))
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert f"--state: no state '{foreign}': choose from" in wrong.stderr and own in wrong.stderr.split("choose from")[1]
    assert right.returncode == 0 and len(right.stdout.splitlines()) == 6
