"""Shared fixtures: small deterministic worlds served on loopback."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from sandbox.config import WorldConfig
from sandbox.service import Sandbox

# A fixed world start (2026-11-18T11:06:40Z) so every test run sees the same world.
START_MS = 1_795_000_000_000


def small_config(**overrides: int) -> WorldConfig:
    values = {"seed": 7, "syncs": 12, "days": 7, "records": 5_000, "start_ms": START_MS}
    return WorldConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    """One small world per test module; tests that move its clock use their own."""
    with Sandbox(small_config()) as box:
        yield box


@pytest.fixture
def fresh_sandbox() -> Sandbox:
    with Sandbox(small_config()) as box:
        yield box
