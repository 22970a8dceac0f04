"""Shared fixtures and helpers: small deterministic worlds served on loopback, a warehouse file
and a loader for it, a load killed mid-way, and system programs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from sandbox.config import WorldConfig
from sandbox.service import Sandbox

if TYPE_CHECKING:
    from pipelines.runner import VendorResult

Loader = Callable[..., "VendorResult"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores this process may use.

    A quarter of the suite's time is spent waiting (sandbox latency and rate limits, subprocess
    start, PostgreSQL), which leaves a core-per-worker machine idle that long: measured on 2
    cores, 2 workers took 382 s at 72% CPU and 3 workers 305 s at 91%, all tests passing.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores + 1


# A fixed world start (2026-11-18T11:06:40Z) so every test run sees the same world.
START_MS = 1_795_000_000_000


def small_config(**overrides: int) -> WorldConfig:
    values = {"seed": 7, "syncs": 12, "days": 7, "records": 5_000, "start_ms": START_MS}
    return WorldConfig(**{**values, **overrides})


def box_fixture(**overrides: int) -> Any:
    """A module's `box` fixture: a fresh world of `small_config(**overrides)` for each test.

    Usage: `box = box_fixture(days=2, records=500)` at module level.
    """

    @pytest.fixture(name="box")
    def box() -> Iterator[Sandbox]:
        with Sandbox(small_config(**overrides)) as sandbox:
            yield sandbox

    return box


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


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, db: Path) -> Loader:
    """load(box, vendor="ai_squared", **settings): env from the sandbox plus SOURCES__<V>__<KEY>.

    The runner is imported on first use, so tests that never load (tests/unit) do not pay for dlt.
    """
    from pipelines.runner import run_vendor

    def _load(box: Sandbox, vendor: str = "ai_squared", **settings: object) -> VendorResult:
        for name, value in box.env().items():
            monkeypatch.setenv(name, value)
        for key, value in settings.items():
            name = f"SOURCES__{vendor.upper()}__{key.upper()}"
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        return run_vendor(vendor, db)

    return _load


def kill_midway(box: Sandbox, vendor: str, db: Path, after_requests: int) -> None:
    """Start `syncscope run --vendor <vendor>` in a child process against `box`, and SIGKILL it
    once the vendor has seen `after_requests` requests (the caller slows the vendor with a
    latency fault so the load is still running then). Fails if the load ended first."""
    env = {**os.environ, **box.env(), "RUNTIME__DLTHUB_TELEMETRY": "false"}
    command = [sys.executable, "-m", "pipelines.cli", "run", "--vendor", vendor, "--db", str(db)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(box.requests(vendor)) < after_requests and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the load finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


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
