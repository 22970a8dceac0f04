"""The hostile fault knobs, each seen on the wire as a client meets it (what syncscope does about
them is tested in tests/sources/test_http_*.py and by the pipeline's own tests)."""

from __future__ import annotations

import zlib

import httpx
import pytest

from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.sandbox.aisq_client import client

SYNCS = "/api/v1/syncs"


def timbal(box: Sandbox) -> httpx.Client:
    token = box.world.timbal.api_key
    return httpx.Client(base_url=box.url("timbal"), headers={"Authorization": f"Bearer {token}"}, timeout=10)


def timbal_listing(box: Sandbox) -> str:
    return f"/orgs/{box.world.timbal.org_id}/connectors/syncs"


def paragon_status(box: Sandbox) -> dict:
    world = box.world.paragon
    sync_id = world.truth_syncs()[0]["id"]
    token = world.token_of(world.spec(sync_id).user_id)
    response = httpx.get(
        f"{box.url('paragon')}/api/syncs/{sync_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    return response.json()


def test_foreign_next_points_every_page_link_at_another_origin(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(foreign_next="http://127.0.0.1:9/elsewhere"))
    fresh_sandbox.set_faults("timbal", Faults(foreign_next="http://127.0.0.1:9"))
    with client(fresh_sandbox) as http:
        body = http.get(SYNCS, params={"per_page": 5}).json()
    assert body["links"]["next"] == f"http://127.0.0.1:9{SYNCS}?page=2&per_page=5"
    assert len(body["data"]) == 5  # the data itself is untouched
    with client(fresh_sandbox) as http:  # a last page (next null) gets a link too
        last = http.get(SYNCS, params={"per_page": 100}).json()
    assert last["links"]["next"] == f"http://127.0.0.1:9{SYNCS}?per_page=100"  # its own URL
    with timbal(fresh_sandbox) as http:
        listing = http.get(timbal_listing(fresh_sandbox)).json()
    assert listing["next"] == f"http://127.0.0.1:9{timbal_listing(fresh_sandbox)}"


def test_loop_next_points_back_to_the_first_page(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(loop_next=True))
    fresh_sandbox.set_faults("timbal", Faults(loop_next=True))
    with client(fresh_sandbox) as http:
        body = http.get(SYNCS, params={"page": 2, "per_page": 5}).json()
    assert (
        body["links"]["next"]
        == body["links"]["first"]
        == f"{fresh_sandbox.url('ai_squared')}{SYNCS}?page=1&per_page=5"
    )
    with timbal(fresh_sandbox) as http:
        listing = http.get(timbal_listing(fresh_sandbox)).json()
    assert listing["next"] == fresh_sandbox.url("timbal") + timbal_listing(fresh_sandbox)


def test_slow_body_drips_the_real_answer_byte_by_byte(fresh_sandbox: Sandbox) -> None:
    with httpx.Client(base_url=fresh_sandbox.url("ai_squared")) as http:
        expected = http.get("/nowhere").content
        fresh_sandbox.set_faults("ai_squared", Faults(slow_body=0.05))
        with http.stream("GET", "/nowhere") as response:
            chunks = list(response.iter_raw())
    assert b"".join(chunks) == expected
    assert len(chunks) > len(expected) // 2  # arrived a byte (rarely two) at a time


def test_endless_body_never_ends(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(endless_body=True))
    received = 0
    with client(fresh_sandbox) as http, http.stream("GET", SYNCS) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            if not received:
                assert chunk.startswith(b'{"data": [')
            received += len(chunk)
            if received > 50 * 1024 * 1024:
                break
    assert received > 50 * 1024 * 1024
    fresh_sandbox.set_faults("ai_squared", Faults())
    with client(fresh_sandbox) as http:  # the sandbox still answers
        assert http.get(SYNCS).status_code == 200


def test_gzip_bomb_is_a_megabyte_per_gigabyte(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(gzip_bomb=0.5))
    with client(fresh_sandbox) as http, http.stream("GET", SYNCS) as response:
        assert (response.status_code, response.headers["content-encoding"]) == (200, "gzip")
        size = int(response.headers["content-length"])
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        expanded = 0
        for chunk in response.iter_raw():
            while chunk and expanded < 400 * 2**20:
                expanded += len(inflate.decompress(chunk, 2**24))
                chunk = inflate.unconsumed_tail
            if expanded >= 400 * 2**20:
                break
    assert 0.4 * 2**20 < size < 0.6 * 2**20  # half a MB for half a GB
    assert expanded >= 400 * 2**20


@pytest.mark.parametrize(
    ("knob", "check"),
    [
        ("missing:status", lambda status: "status" not in status),
        ("wrong_type:status", lambda status: status["status"] == 12345),
        ("huge:status", lambda status: status["status"] == "x" * 10 * 1024 * 1024),
    ],
)
def test_malformed_field_says_which_in_its_value(fresh_sandbox: Sandbox, knob: str, check) -> None:
    assert isinstance(paragon_status(fresh_sandbox)["status"], str)
    fresh_sandbox.set_faults("paragon", Faults(malformed_field=knob))
    status = paragon_status(fresh_sandbox)
    assert check(status)
    assert "summary" in status  # only the named key is touched


def test_empty_listing_once_empties_the_next_sync_list_once(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults("ai_squared", Faults(empty_listing_once=True))
    syncs = len(fresh_sandbox.world.ai_squared.syncs)
    with client(fresh_sandbox) as http:
        sync_id = next(iter(fresh_sandbox.world.ai_squared.syncs))
        assert http.get(f"{SYNCS}/{sync_id}/sync_runs").status_code == 200  # not a sync list: spared
        first = http.get(SYNCS, params={"per_page": 5})
        second = http.get(SYNCS, params={"per_page": 100})
    assert first.status_code == 200
    assert (first.json()["data"], first.json()["links"]["next"]) == ([], None)
    assert len(second.json()["data"]) == syncs


def test_records_404_once_answers_the_next_records_request_404_once(fresh_sandbox: Sandbox) -> None:
    world = fresh_sandbox.world.ai_squared
    run = world.truth_runs()[0]
    path = f"{SYNCS}/{run['attributes']['sync_id']}/sync_runs/{run['id']}/sync_records"
    fresh_sandbox.set_faults("ai_squared", Faults(records_404_once=True))
    with client(fresh_sandbox) as http:
        assert http.get(SYNCS).status_code == 200
        first, second = http.get(path), http.get(path)
    assert (first.status_code, first.json()) == (
        404,
        {"errors": [{"status": 404, "title": "Error", "detail": "SyncRun not found"}]},
    )
    assert second.status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"foreign_next": "ftp://x"}, "foreign_next must be an http(s) URL, got 'ftp://x'"),
        ({"loop_next": 1}, "loop_next must be a bool, got 1"),
        ({"slow_body": "2"}, "slow_body must be a float, got '2'"),
        (
            {"malformed_field": "status"},
            "malformed_field must be missing:<key>, wrong_type:<key> or huge:<key>, got 'status'",
        ),
    ],
)
def test_bad_knob_values_are_a_400_naming_the_knob(fresh_sandbox: Sandbox, body: dict, error: str) -> None:
    response = httpx.put(f"{fresh_sandbox.url('ai_squared')}/_sandbox/faults", json=body)
    assert (response.status_code, response.json()) == (400, {"error": error})
