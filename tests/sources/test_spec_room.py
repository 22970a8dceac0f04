"""Every value the vendors' excerpts allow loads, exactly (issue 19, cases 1-5, 7, 9, 10).

The sandbox's `spec_room` knob (sandbox/spec_room.py) serves spec-valid bodies that use room the
sandbox never takes: nanosecond and lower-case date-times, unknown properties holding `{}` or
values of changing JSON types, whole numbers above 2^60 and 2^70 in `number` fields, integers beyond 64
bits, NUL characters, an empty Timbal job id. Each test loads the real pipeline over loopback
and compares the warehouse with the sandbox's truth, value by value.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from sandbox.faults import Faults
from sandbox.service import Sandbox
from sandbox.spec_room import BIG_INTEGER, big_number_value, mixed_value, nul_text
from tests.conftest import Loader, small_config
from tests.spec_validation import validate

KNOBS = (
    "nanos", "lower_tz", "minus_zero", "offset", "empty_object:extra", "mixed_types:extra",
    "big_number:duration", "big_number:rows_per_sec", "big_integer:extra", "nul:stream_name",
    "nul:name", "nul:credentialId", "empty_job_id:x",
)  # fmt: skip


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config(syncs=4, days=2, records=400)) as sandbox:
        yield sandbox


def load_with(box: Sandbox, load: Loader, vendor: str, knob: str) -> None:
    box.set_faults(vendor, Faults(spec_room=knob))
    result = load(box, vendor)
    assert result.status == "loaded", result.message


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def micros(iso: str | None) -> int | None:
    """Epoch microseconds of the sandbox's own ISO-ms text."""
    return None if iso is None else int(datetime.fromisoformat(iso).timestamp() * 1000) * 1000


def ai_runs(box: Sandbox) -> dict[int, dict]:
    return {int(r["id"]): r["attributes"] for r in box.world.ai_squared.truth_runs()}


def timbal_windows(box: Sandbox) -> dict[str, dict]:
    """The runs each Timbal detail shows now (its recent window), by job id, with their sync."""
    out = {}
    for detail in box.world.timbal.truth_syncs():
        out.update({r["job_id"]: {**r, "sync_id": detail["sync"]["id"]} for r in detail["recent_runs"]})
    return out


def served(box: Sandbox, vendor: str) -> list[tuple[str, httpx.Response]]:
    """A listing and a detail of `vendor`, as the sandbox serves them now, with their spec."""
    world = box.world
    if vendor == "ai_squared":
        headers = {"Authorization": f"Bearer {world.ai_squared.api_token}", "Workspace-Id": "7"}
        with httpx.Client(base_url=box.url(vendor), headers=headers) as http:
            sync = http.get("/api/v1/syncs").json()["data"][0]["id"]
            runs = http.get(f"/api/v1/syncs/{sync}/sync_runs")
            run = runs.json()["data"][0]["id"]
            return [
                ("ai_squared_list_sync_runs", runs),
                ("ai_squared_get_sync_run", http.get(f"/api/v1/syncs/{sync}/sync_runs/{run}")),
                ("ai_squared_list_sync_records", http.get(f"{runs.url.path}/{run}/sync_records")),
            ]  # fmt: skip
    if vendor == "timbal":
        headers = {"Authorization": f"Bearer {world.timbal.api_key}"}
        with httpx.Client(base_url=box.url(vendor), headers=headers) as http:
            org = world.timbal.org_id
            sync = http.get(f"/orgs/{org}/connectors/syncs").json()["syncs"][0]
            path = f"/orgs/{org}/connectors/{sync['connector_id']}/syncs/{sync['id']}"
            return [("timbal_get_connector_sync", http.get(path))]
    headers = {"Authorization": f"Bearer {world.paragon.tokens()[0]}"}
    with httpx.Client(base_url=box.url(vendor), headers=headers) as http:
        sync = http.get("/api/syncs").json()["data"][0]["id"]
        return [("paragon_get_sync_status", http.get(f"/api/syncs/{sync}"))]


@pytest.mark.parametrize("knob", KNOBS)
def test_spec_room_bodies_stay_valid_against_the_excerpts(box: Sandbox, knob: str) -> None:
    for vendor in ("ai_squared", "timbal", "paragon"):
        box.set_faults(vendor, Faults(spec_room=knob))
        for spec, response in served(box, vendor):
            assert response.status_code == 200
            validate(
                spec, response, "nullable_run_times" if "sync_run" in spec and "records" not in spec else None
            )


def test_knob_changes_what_it_says(box: Sandbox) -> None:
    box.set_faults("timbal", Faults(spec_room="nanos"))
    (_, response), = served(box, "timbal")  # fmt: skip
    assert response.json()["sync"]["created_at"].endswith("999999Z")
    assert len(response.json()["sync"]["created_at"].rsplit(".", 1)[1]) == 10


# case 1 (nine fraction digits, truncated to microseconds) and case 5 (t/z, -00:00, offsets) ----
@pytest.mark.parametrize(
    ("knob", "extra_us"), [("nanos", 999), ("lower_tz", 0), ("minus_zero", 0), ("offset", 0)]
)
def test_every_rfc3339_date_time_loads_to_the_microsecond(
    box: Sandbox, load: Loader, db: Path, knob: str, extra_us: int
) -> None:
    def at(iso: str | None) -> int | None:
        return None if iso is None else micros(iso) + extra_us

    for vendor in ("ai_squared", "timbal", "paragon"):
        load_with(box, load, vendor, knob)
    runs = ai_runs(box)
    stored = query(db, "select id, epoch_us(created_at), epoch_us(finished_at) from raw_ai_squared.sync_runs")
    assert sorted(stored) == sorted((i, at(r["created_at"]), at(r["finished_at"])) for i, r in runs.items())
    syncs = {int(s["id"]): s["attributes"] for s in box.world.ai_squared.truth_syncs()}
    stored = query(db, "select id, epoch_us(updated_at) from raw_ai_squared.syncs")
    assert sorted(stored) == sorted((i, at(s["updated_at"])) for i, s in syncs.items())

    window = timbal_windows(box)
    stored = query(db, "select job_id, epoch_us(created_at), epoch_us(started_at) from raw_timbal.sync_runs")
    assert sorted(stored) == sorted((j, at(r["created_at"]), at(r["started_at"])) for j, r in window.items())
    details = {d["sync"]["id"]: d["sync"] for d in box.world.timbal.truth_syncs()}
    stored = query(db, "select id, epoch_us(created_at) from raw_timbal.syncs")
    assert sorted(stored) == sorted((i, at(s["created_at"])) for i, s in details.items())
    stored = query(db, "select sync_id, epoch_us(last_run_at) from raw_timbal.sync_snapshots")
    assert sorted(stored) == sorted((i, at(s["last_run_at"])) for i, s in details.items())

    truth = {s["id"]: box.world.paragon.truth_status(s["id"]) for s in box.world.paragon.truth_syncs()}
    stored = query(db, "select sync_id, epoch_us(last_synced_at) from raw_paragon.sync_status_snapshots")
    assert sorted(stored) == sorted((i, at(t["summary"].get("lastSyncedAt"))) for i, t in truth.items())


# cases 2 and 3: unknown properties holding {} or values of changing JSON types ------------------
@pytest.mark.parametrize("kind", ["empty_object", "mixed_types"])
def test_unknown_property_loads_as_its_json_text(box: Sandbox, load: Loader, db: Path, kind: str) -> None:
    def expected(identity: str) -> str:
        value = {} if kind == "empty_object" else mixed_value(identity)
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    for vendor in ("ai_squared", "timbal"):
        load_with(box, load, vendor, f"{kind}:extra_info")
    stored = query(db, "select id, cast(extra_info as varchar) from raw_ai_squared.sync_runs")
    assert sorted(stored) == sorted((i, expected(str(i))) for i in ai_runs(box))
    stored = query(db, "select job_id, cast(extra_info as varchar) from raw_timbal.sync_runs")
    assert sorted(stored) == sorted((j, expected(j)) for j in timbal_windows(box))
    load_with(box, load, "paragon", f"{kind}:extra_info")
    stored = query(db, "select sync_id, extra_info from raw_paragon.sync_status_snapshots")
    assert sorted(stored) == sorted((s["id"], expected(s["id"])) for s in box.world.paragon.truth_syncs())


def test_unknown_property_with_an_odd_or_taken_name_loads_into_one_object(
    box: Sandbox, load: Loader, db: Path
) -> None:
    """`Status` would land on `status` and `id` would replace the run id: both are kept aside."""
    load_with(box, load, "ai_squared", "mixed_types:Status")
    load_with(box, load, "timbal", "mixed_types:sync_id")
    load_with(box, load, "paragon", "mixed_types:polled_at")
    stored = query(db, "select sync_id, unknown_properties from raw_paragon.sync_status_snapshots")
    syncs = box.world.paragon.truth_syncs()
    assert sorted(stored) == sorted(
        (s["id"], json.dumps({"polled_at": mixed_value(s["id"])}, separators=(",", ":"))) for s in syncs
    )
    stored = query(db, "select id, unknown_properties from raw_ai_squared.sync_runs")
    assert sorted(stored) == sorted(
        (i, json.dumps({"Status": mixed_value(str(i))}, separators=(",", ":"))) for i in ai_runs(box)
    )
    statuses = dict(query(db, "select id, status from raw_ai_squared.sync_runs"))
    assert statuses == {i: r["status"] for i, r in ai_runs(box).items()}
    window = timbal_windows(box)
    stored = query(db, "select job_id, sync_id, unknown_properties from raw_timbal.sync_runs")
    expected = [
        (j, r["sync_id"], json.dumps({"sync_id": mixed_value(j)}, separators=(",", ":")))
        for j, r in window.items()
    ]
    assert sorted(stored) == sorted(expected)


def test_an_attribute_named_id_does_not_replace_the_run_id(box: Sandbox, load: Loader, db: Path) -> None:
    load_with(box, load, "ai_squared", "empty_object:id")
    stored = query(db, "select id, unknown_properties from raw_ai_squared.sync_runs")
    assert sorted(stored) == [(i, '{"id":{}}') for i in sorted(ai_runs(box))]
    assert query(db, "select count(*) from raw_ai_squared.syncs")[0][0] == len(
        box.world.ai_squared.truth_syncs()
    )


def test_unknown_property_keeps_its_column_when_its_type_changes_between_loads(
    box: Sandbox, load: Loader, db: Path
) -> None:
    """First load: an integer everywhere; second: text, lists, objects. Neither load fails."""
    load_with(box, load, "timbal", "big_number:rows_per_sec")  # a first load without the property
    box.world.advance(3600)
    load_with(box, load, "timbal", "mixed_types:extra_info")
    box.world.advance(3600)
    load_with(box, load, "timbal", "empty_object:extra_info")
    stored = dict(query(db, "select job_id, cast(extra_info as varchar) from raw_timbal.sync_runs"))
    window = timbal_windows(box)
    assert {j: stored[j] for j in window} == dict.fromkeys(window, "{}")


# case 4: whole numbers above 2^53 (and 2^64) in `number` fields ---------------------------------
def test_huge_whole_numbers_in_number_fields_load_as_doubles(box: Sandbox, load: Loader, db: Path) -> None:
    load_with(box, load, "ai_squared", "big_number:duration")
    load_with(box, load, "timbal", "big_number:rows_per_sec")
    stored = query(db, "select id, duration from raw_ai_squared.sync_runs")
    expected = {
        i: None if r["duration"] is None else float(big_number_value(r["duration"]))
        for i, r in ai_runs(box).items()
    }
    assert sorted(stored, key=lambda r: r[0]) == sorted(expected.items())
    assert any(v is not None and v > 2**70 for v in expected.values())
    assert any(v is not None and 2**60 < v < 2**64 for v in expected.values())
    stored = query(db, "select job_id, rows_per_sec from raw_timbal.sync_runs")
    window = timbal_windows(box)
    expected_t = {
        j: None if r["rows_per_sec"] is None else float(big_number_value(r["rows_per_sec"]))
        for j, r in window.items()
    }
    assert dict(stored) == expected_t
    assert any(v is not None for v in expected_t.values())


# case 7: integers beyond 64 bits inside JSON payloads and unknown properties --------------------
def test_integers_beyond_64_bits_stay_exact(box: Sandbox, load: Loader, db: Path) -> None:
    for vendor in ("ai_squared", "timbal"):
        load_with(box, load, vendor, "big_integer:wide_count")
    records = query(
        db, "select cast(record as varchar), cast(wide_count as varchar) from raw_ai_squared.sync_records"
    )
    assert records, "the world has failed records"
    for record, wide in records:
        assert f'"wide_count":{BIG_INTEGER}' in record
        assert wide == str(BIG_INTEGER)
    runs = query(db, "select cast(wide_count as varchar) from raw_timbal.sync_runs")
    assert runs == [(str(BIG_INTEGER),)] * len(timbal_windows(box))


# case 9: NUL characters in text ------------------------------------------------------------------
def test_nul_characters_are_kept_in_every_table(box: Sandbox, load: Loader, db: Path) -> None:
    load_with(box, load, "ai_squared", "nul:stream_name")
    load_with(box, load, "timbal", "nul:name")
    load_with(box, load, "paragon", "nul:credentialId")
    syncs = {int(s["id"]): s["attributes"]["stream_name"] for s in box.world.ai_squared.truth_syncs()}
    stored = query(db, "select id, stream_name from raw_ai_squared.syncs")
    assert sorted(stored) == sorted((i, nul_text(n)) for i, n in syncs.items())
    names = {d["sync"]["id"]: d["sync"]["name"] for d in box.world.timbal.truth_syncs()}
    stored = query(db, "select id, name from raw_timbal.syncs")
    assert sorted(stored) == sorted((i, None if n is None else nul_text(n)) for i, n in names.items())
    truth = {s["id"]: box.world.paragon.truth_status(s["id"]) for s in box.world.paragon.truth_syncs()}
    expected = sorted((i, nul_text(t["credentialId"])) for i, t in truth.items())
    assert sorted(query(db, "select id, credential_id from raw_paragon.syncs")) == expected
    assert (
        sorted(query(db, "select sync_id, credential_id from raw_paragon.sync_status_snapshots")) == expected
    )


# case 10: a Timbal run whose job id is the empty string --------------------------------------------
def test_timbal_run_with_an_empty_job_id_loads(box: Sandbox, load: Loader, db: Path) -> None:
    detail = next(d for d in box.world.timbal.truth_syncs() if d["recent_runs"])
    newest = detail["recent_runs"][0]
    load_with(box, load, "timbal", f"empty_job_id:{detail['sync']['id']}")
    stored = query(
        db,
        "select sync_id, state, rows_emitted, epoch_us(created_at) from raw_timbal.sync_runs "
        "where job_id = ''",
    )
    assert stored == [
        (detail["sync"]["id"], newest["state"], newest["rows_emitted"], micros(newest["created_at"]))
    ]
    assert query(db, "select count(*) from raw_timbal.sync_runs")[0][0] == len(timbal_windows(box))


# a run read again by its own URL (its records met a 404 on the first load): cases 1 and 4 on main --
@pytest.mark.parametrize(("knob", "mode"), [("nanos", "failed"), ("big_number:duration", "all")])
def test_a_run_read_by_its_own_url_loads_like_a_listed_one(
    box: Sandbox, load: Loader, db: Path, knob: str, mode: str
) -> None:
    box.set_faults("ai_squared", Faults(spec_room=knob, records_404_once=True))
    # One record request at a time: the run whose records meet the 404 is then always the same
    # one (with 8 at a time it is whichever request arrives first).
    assert load(box, "ai_squared", records_mode=mode, http_concurrency=1).status == "loaded"
    box.reset_requests("ai_squared")
    result = load(box, "ai_squared", records_mode=mode, http_concurrency=1)
    assert result.status == "loaded", result.message
    single = [
        r.target
        for r in box.requests("ai_squared")
        if re.fullmatch(r"/api/v1/syncs/\d+/sync_runs/\d+", r.target)
    ]
    assert len(single) == 1
    run_id = int(single[0].rsplit("/", 1)[1])
    truth = ai_runs(box)[run_id]
    stored = query(
        db,
        "select epoch_us(created_at), epoch_us(updated_at), duration from raw_ai_squared.sync_runs "
        f"where id = {run_id}",
    )
    if knob == "nanos":
        assert stored == [
            (micros(truth["created_at"]) + 999, micros(truth["updated_at"]) + 999, truth["duration"])
        ]
    else:
        assert 2**60 < big_number_value(truth["duration"]) < 2**63, "a value Arrow refused as a Python int"
        expected = float(big_number_value(truth["duration"]))
        assert stored == [(micros(truth["created_at"]), micros(truth["updated_at"]), expected)]
