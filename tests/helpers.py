"""Shared test helpers: bounded waits scaled from one factor (house rule 10)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

# One knob for slow machines: every bounded wait in the suite is multiplied by it.
SCALE = float(os.environ.get("INCIDENTS_TEST_TIMEOUT_SCALE", "1"))
INCIDENTS = [sys.executable, "-m", "incident_cli"]
ROOT = Path(__file__).resolve().parent.parent


def seconds(value: float) -> float:
    return value * SCALE


def run(coroutine, timeout: float = 20.0):
    """Run one async test body with a hard bound."""
    return asyncio.run(asyncio.wait_for(coroutine, seconds(timeout)))
