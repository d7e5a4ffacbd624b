"""Fixtures shared by the suite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("INCIDENTS_") and name != "INCIDENTS_TEST_TIMEOUT_SCALE":
            monkeypatch.delenv(name)
    return monkeypatch
