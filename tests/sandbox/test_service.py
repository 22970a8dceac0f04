"""The sandbox as a service: admin clock, request log, env variables and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sandbox.service import Sandbox
from tests.conftest import START_MS, small_config

ENV_NAMES = {
    "SOURCES__AI_SQUARED__BASE_URL",
    "SOURCES__AI_SQUARED__API_TOKEN",
    "SOURCES__AI_SQUARED__WORKSPACE_ID",
    "SOURCES__AI_SQUARED__LOGIN_EMAIL",
    "SOURCES__AI_SQUARED__LOGIN_PASSWORD",
    "SOURCES__TIMBAL__BASE_URL",
    "SOURCES__TIMBAL__ORG_ID",
    "SOURCES__TIMBAL__API_KEY",
    "SOURCES__PARAGON__BASE_URL",
    "SOURCES__PARAGON__USER_TOKENS",
}


def test_advance_moves_one_clock_for_every_vendor(fresh_sandbox: Sandbox) -> None:
    urls = fresh_sandbox.urls
    moved = httpx.post(f"{urls['timbal']}/_sandbox/advance", json={"seconds": 90}).json()
    assert moved["now_ms"] == START_MS + 90_000
    assert httpx.get(f"{urls['paragon']}/_sandbox/clock").json()["now_ms"] == START_MS + 90_000
    bad = httpx.post(f"{urls['paragon']}/_sandbox/advance", json={"seconds": -1})
    assert bad.status_code == 400


def test_request_log_counts_vendor_requests_only(fresh_sandbox: Sandbox) -> None:
    token = fresh_sandbox.world.ai_squared.api_token
    url = fresh_sandbox.url("ai_squared")
    headers = {"Authorization": f"Bearer {token}", "Workspace-Id": "7"}  # without it: 400
    httpx.get(f"{url}/api/v1/syncs", headers=headers)
    httpx.get(f"{url}/api/v1/syncs?page=2", headers=headers)
    httpx.get(f"{url}/_sandbox/clock")
    log = httpx.get(f"{url}/_sandbox/requests").json()["requests"]
    assert log == [
        {"method": "GET", "target": "/api/v1/syncs", "status": 200},
        {"method": "GET", "target": "/api/v1/syncs?page=2", "status": 200},
    ]
    httpx.delete(f"{url}/_sandbox/requests")
    assert fresh_sandbox.requests("ai_squared") == []


def test_responses_carry_the_world_time_in_the_date_header(fresh_sandbox: Sandbox) -> None:
    response = httpx.get(f"{fresh_sandbox.url('paragon')}/_sandbox/clock")
    assert response.headers["date"] == "Wed, 18 Nov 2026 11:06:40 GMT"


def test_env_points_every_vendor_at_its_port() -> None:
    with Sandbox(small_config()) as box:
        env = box.env()
        assert set(env) == ENV_NAMES
        for vendor in ("ai_squared", "timbal", "paragon"):
            assert env[f"SOURCES__{vendor.upper()}__BASE_URL"] == box.url(vendor)


def test_cli_writes_env_file_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "sandbox", "--size", "small", "--env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while not env_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert env_file.exists(), proc.stdout.read() if proc.poll() is not None else "no env file"
        # Sourced as the README says, by a real shell: the JSON list must survive the quoting.
        script = f"set -a && . {env_file} && env"
        sourced = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
        values = {k: v for k, v in (line.split("=", 1) for line in sourced.splitlines() if "=" in line)
                  if k in ENV_NAMES}  # fmt: skip
        assert set(values) == ENV_NAMES
        assert json.loads(values["SOURCES__PARAGON__USER_TOKENS"])
        response = httpx.get(
            f"{values['SOURCES__AI_SQUARED__BASE_URL']}/api/v1/syncs",
            headers={
                "Authorization": f"Bearer {values['SOURCES__AI_SQUARED__API_TOKEN']}",
                "Workspace-Id": values["SOURCES__AI_SQUARED__WORKSPACE_ID"],
            },
        )
        assert response.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "sandbox stopped." in out
    assert values["SOURCES__AI_SQUARED__BASE_URL"] in out


def test_cli_rejects_bad_options_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "sandbox", "--start", "yesterday"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Invalid value for '--start': not an ISO-8601 time: 'yesterday'" in result.stderr
