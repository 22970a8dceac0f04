"""Each fault knob acts on the wire as a client would meet it."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.sandbox.aisq_client import client

SYNCS = "/api/v1/syncs"


def _statuses(box: Sandbox, n: int) -> list[int | str]:
    out: list[int | str] = []
    with client(box) as http:
        for _ in range(n):
            try:
                out.append(http.get(SYNCS).status_code)
            except httpx.TransportError as exc:
                out.append(type(exc).__name__)
    return out


def test_latency_delays_every_request(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(latency_ms=120))
    with client(fresh_sandbox) as http:
        started = time.perf_counter()
        for _ in range(3):
            assert http.get(SYNCS).status_code == 200
        assert time.perf_counter() - started >= 0.36


def test_rate_limit_answers_429_with_retry_after(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(rate_limit_per_s=5))
    with client(fresh_sandbox) as http:
        responses = [http.get(SYNCS) for _ in range(12)]
    limited = [r for r in responses if r.status_code == 429]
    assert [r.status_code for r in responses[:5]] == [200] * 5
    assert len(limited) >= 5
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert limited[0].json() == {"errors": [{"status": 429, "title": "Error", "detail": "Too Many Requests"}]}


def test_error_rate_answers_5xx_in_a_seeded_pattern(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(error_rate=0.5, seed=3))
    first = _statuses(fresh_sandbox, 40)
    fresh_sandbox.set_faults("ai_squared", Faults(error_rate=0.5, seed=3))
    assert _statuses(fresh_sandbox, 40) == first
    errors = [s for s in first if s != 200]
    assert set(errors) <= {500, 502, 503} and 8 <= len(errors) <= 32


def test_dropped_connections_give_no_response_and_are_logged(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(drop_rate=1.0))
    assert set(_statuses(fresh_sandbox, 3)) <= {"RemoteProtocolError", "ReadError"}
    assert [r.status for r in fresh_sandbox.requests("ai_squared")] == [0, 0, 0]


def test_truncated_bodies_break_off_mid_message(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(truncate_rate=1.0))
    with (
        client(fresh_sandbox) as http,
        pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"),
    ):
        http.get(SYNCS)


def test_faults_are_set_over_http_and_spare_admin_endpoints(fresh_sandbox: Sandbox) -> None:
    admin = f"{fresh_sandbox.url('ai_squared')}/_sandbox/faults"
    assert httpx.put(admin, json={"error_rate": 1.0}).json()["error_rate"] == 1.0
    assert set(_statuses(fresh_sandbox, 3)) <= {500, 502, 503}
    assert httpx.get(f"{fresh_sandbox.url('ai_squared')}/_sandbox/clock").status_code == 200
    bad = httpx.put(admin, json={"error_rate": 2})
    assert (bad.status_code, bad.json()) == (400, {"error": "error_rate must lie in [0, 1], got 2"})
    unknown = httpx.put(admin, json={"explode": True})
    assert unknown.json() == {"error": "unknown fault settings: explode"}
    assert httpx.put(admin, json={}).json()["error_rate"] == 0.0
    assert set(_statuses(fresh_sandbox, 3)) == {200}


def test_faults_touch_only_the_vendor_they_are_set_on(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("timbal", Faults(error_rate=1.0))
    assert set(_statuses(fresh_sandbox, 3)) == {200}
