import os
import subprocess

import pytest

from incident_cli.cli import completion
from tests.helpers import INCIDENTS, ROOT


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completion_scripts_are_current(shell):
    fresh = subprocess.run(
        INCIDENTS, env={**os.environ, "_INCIDENTS_COMPLETE": f"source_{shell}"}, capture_output=True, text=True, timeout=30
    ).stdout
    committed = (ROOT / "completions" / f"incidents.{shell}").read_text()
    assert fresh and fresh == committed, f"completions/incidents.{shell} is stale: regenerate it (completions/README.md)"


def complete(words, cword):
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_INCIDENTS_COMPLETE": "complete_bash"}
    return subprocess.run(INCIDENTS, env=env, capture_output=True, text=True, timeout=30).stdout.split()


def test_values_complete_through_the_real_program(tmp_path):
    assert complete("incidents watch --severity P0,", 3) == ["P0,P1", "P0,P2", "P0,P3", "P0,P4"]
    assert complete("incidents watch --subscribe st", 3) == ["state-changes"]
    assert "watch" in complete("incidents wa", 1)
    assert complete("incidents a", 1) == ["ack", "assign"]  # the actions are commands completion knows
    assert complete("incidents resolve 8d11 --ro", 3) == ["--root-cause"]


def test_value_completers():
    assert completion.severities("") == ["P0", "P1", "P2", "P3", "P4"]
    assert completion.severities("p1,P") == ["p1,P0", "p1,P2", "p1,P3", "p1,P4"]
    assert completion.streams("") == ["critical", "new", "updates", "state-changes", "alerts"]


def test_profile_names_come_from_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("[profiles.prod]\n[profiles.staging]\n[profiles.dev]\n")
    monkeypatch.setenv("INCIDENTS_CONFIG", str(config))
    assert completion.profiles("") == ["dev", "prod", "staging"] and completion.profiles("st") == ["staging"]
    monkeypatch.setenv("INCIDENTS_CONFIG", str(tmp_path / "missing.toml"))
    assert completion.profiles("") == []
