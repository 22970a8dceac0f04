"""Shared fixtures: small deterministic worlds served on loopback, and system programs."""

from __future__ import annotations

import os
import shutil

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires_program(name, package): needs system program `name` (Debian package `package`)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check a test's required programs before its fixtures are set up (no sandbox loaded for a
    test that will be skipped); skipping here, from one place, folds every such skip into one
    summary line (`SKIPPED [7] ...: chromium not found: apt-get install chromium`)."""
    for marker in item.iter_markers("requires_program"):
        require_program(*marker.args)


def require_program(name: str, package: str) -> str:
    """The path of system program `name` (looked up on PATH), for tests that need one; mark
    them `@pytest.mark.requires_program(name, package)` (or a module's `pytestmark`).

    Missing, the test is skipped with one line naming the Debian package to install, so the
    README's quick start passes on a fresh machine. Under CI (`CI` set and non-empty) a missing
    program is a failure instead: `.ci/run` installs it, and a skip there would hide a test that
    never ran. To see the skip on a machine that has the program, run pytest with a PATH that
    leaves the program's folder out.
    """
    found = shutil.which(name)
    if found:
        return found
    line = f"{name} not found: apt-get install {package}"
    if os.environ.get("CI"):
        pytest.fail(f"{line} (CI is set, so a missing program fails)", pytrace=False)
    pytest.skip(line)
