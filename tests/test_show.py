"""Finding one incident by its id or a unique start of it, on the demo (reference and drifted)."""

import pytest

from incident_cli.driver.credentials import make_credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.errors import NotFound, UsageError
from incident_cli.settings import Settings
from incident_cli.show import choose, find_incident
from tests.helpers import demo_server, run

A = {"id": "8d116ece-1738-47d9-bd9c-172411e20b8f"}
B = {"id": "8d11aaaa-0000-47d9-bd9c-172411e20b8f"}
C = {"id": "c6f87718-6d76-407e-881e-d162ae2eb154"}


def test_a_unique_start_an_exact_id_and_an_ambiguous_start():
    assert choose([A, B, C], "c6f") is C
    assert choose([A, B, C], "8D116") is A  # case does not matter
    assert choose([A, B, C], A["id"]) is A
    assert choose([A, B, C], "ffff") is None
    with pytest.raises(UsageError, match=r"2 incidents have ids that start with '8d11' \(8d116ece-.*, 8d11aaaa-.*\)"):
        choose([A, B, C], "8d11")


def find(server, wanted, environ):
    settings = Settings(url=server.url)
    config = SessionConfig.from_settings(settings)
    return run(find_incident(config, make_credentials(settings, config.ssl), wanted, environ))


@pytest.mark.parametrize("variant", ["reference", "drifted"])
def test_found_by_a_start_of_its_id_on_either_schema(variant, tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    with demo_server("--schema-variant", variant) as server:
        incident = next(iter(server.simulator.active()))
        found = find(server, incident["id"][:8], environ)
        whole = find(server, incident["id"], environ)
        with pytest.raises(NotFound, match="no incident 'zz'"):
            find(server, "zz", environ)
    assert found["id"] == whole["id"] == incident["id"]
    assert found["title"] == incident["title"] and found["severity"] == incident["severity"]
    assert "assignedTo" in found and "labels" in found  # the reference names, whatever the server calls them


def test_a_resolved_incident_is_found_by_its_whole_id_and_by_its_start_after_the_active_ones(tmp_path):
    with demo_server() as server:
        incident = next(iter(server.simulator.active()))
        incident["state"] = "RESOLVED"  # no longer listed as active
        by_start = find(server, incident["id"][:8], {"XDG_CACHE_HOME": str(tmp_path)})
        found = find(server, incident["id"], {"XDG_CACHE_HOME": str(tmp_path)})
        with pytest.raises(NotFound):
            find(server, "ffffffff", {"XDG_CACHE_HOME": str(tmp_path)})
    assert found["id"] == by_start["id"] == incident["id"] and found["state"] in ("RESOLVED", "CLOSED")  # the demo moves on


def test_list_show_and_the_table_read_every_page_and_a_limit_is_said(tmp_path):
    from tests.helpers import incidents

    environ = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    with demo_server("--rate", "0", "--incidents", "1751") as server:
        listed = incidents("list", "--url", server.url, "-o", "jsonl", env=environ, timeout=60)
        assert listed.returncode == 0, listed.stderr
        ids = [line.split('"incident_id":"')[1][:36] for line in listed.stdout.splitlines()]
        assert len(ids) == len(set(ids)) == 1751 and "--limit" not in listed.stderr
        # An incident past the first 1,000 (the demo lists by severity, then opening time) is found by its start.
        last = ids[-1]
        assert find(server, last[:8], environ)["id"] == last
        cut = incidents("list", "--url", server.url, "-o", "jsonl", "--limit", "1000", env=environ, timeout=60)
        assert cut.returncode == 0 and len(cut.stdout.splitlines()) == 1000
        assert "showing 1,000 of 1,751 (--limit)" in cut.stderr
        table = incidents("list", "--url", server.url, "-o", "table", env={**environ, "COLUMNS": "120"}, timeout=60)
        assert table.returncode == 0 and "1,751 incidents" in table.stdout and last[:8] in table.stdout
