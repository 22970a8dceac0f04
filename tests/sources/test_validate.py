"""Row coercion before dlt (sources/validate.py): what is coerced, what is cut, what is set aside."""

from __future__ import annotations

import pytest

from sources.exact_json import JsonText
from sources.http import VendorError
from sources.validate import MAX_JSON, MAX_TEXT, RowError, Shape, accept, require, sink_for

KINDS = {"id": "bigint", "rate": "double", "at": "timestamp", "ok": "bool", "note": "text", "doc": "json"}
SHAPE = Shape("runs", {**KINDS, "summary.count": "bigint"}, required=("id", "at"), keys=("id",))


def test_values_are_coerced_to_their_kind() -> None:
    row = {"id": "12", "rate": "1.5", "at": "2026-11-18T11:06:40Z", "ok": "true", "note": 7,
           "doc": {"a": [1]}, "summary": {"count": 3.0}, "extra": "y" * (MAX_TEXT + 5)}  # fmt: skip
    out = SHAPE.coerce(row)
    assert out == {
        "id": 12, "rate": 1.5, "at": "2026-11-18T11:06:40Z", "ok": True, "note": "7", "doc": '{"a":[1]}',
        "summary": {"count": 3}, "extra": "y" * MAX_TEXT + "…[cut 5 chars]",
    }  # fmt: skip
    assert isinstance(out["doc"], JsonText), "JSON text measured once and kept (not serialised twice)"
    assert row["summary"] == {"count": 3.0}, "the caller's nested dicts are not changed"
    times = [SHAPE.coerce({"id": 1, "at": at})["at"] for at in
             ("2026-11-18T11:06:40.123+01:00", "20261118T110640Z", "2026-11-18 11:06:40")]  # fmt: skip
    utc = "2026-11-18T11:06:40+00:00"
    assert times == ["2026-11-18T11:06:40.123+01:00", utc, utc]
    assert SHAPE.coerce({"id": 1, "at": "2026-11-18T11:06:40Z", "note": {"k": "v"}})["note"] == '{"k":"v"}'
    huge = SHAPE.coerce({"id": 1, "at": "2026-11-18T11:06:40Z", "doc": ["z" * MAX_JSON]})["doc"]
    assert huge["_cut"] is True and huge["chars"] == MAX_JSON + 4 and len(huge["head"]) == MAX_TEXT


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"at": "2026-11-18T11:06:40Z"}, "id: missing"),
        ({"id": "twelve", "at": "2026-11-18T11:06:40Z"}, "id: expected a whole number, got 'twelve'"),
        ({"id": True, "at": "2026-11-18T11:06:40Z"}, "id: expected a whole number, got True"),
        ({"id": 1, "at": "yesterday"}, "at: expected an ISO-8601 time, got 'yesterday'"),
        ({"id": 1, "at": "2026-11-18T11:06:40Z", "rate": "nan"}, "rate: expected a finite number, got 'nan'"),
        ({"id": 1, "at": "2026-11-18T11:06:40Z", "ok": "maybe"}, "ok: expected true or false, got 'maybe'"),
        ({"id": 2**63, "at": "2026-11-18T11:06:40Z"}, f"id: {2**63} does not fit 64 bits"),
        ("not an object", "(row): expected an object, got str"),
    ],
)
def test_a_row_that_cannot_be_coerced_names_the_field(row: object, reason: str) -> None:
    with pytest.raises(RowError) as caught:
        SHAPE.coerce(row)
    assert str(caught.value) == reason


def test_accept_sets_bad_rows_aside_and_require_fails_naming_the_row() -> None:
    sink_for("test_vendor").drain()
    good = {"id": 1, "at": "2026-11-18T11:06:40Z"}
    assert accept("test_vendor", SHAPE, [good, {"id": 2, "at": 5}], sync_id=9) == [good]
    [rejected] = sink_for("test_vendor").drain()
    assert (rejected.resource, rejected.reason, rejected.key_ids) == (
        "runs",
        "at: expected an ISO-8601 time, got 5",
        {"sync_id": "9", "id": "2"},
    )
    assert rejected.raw == '{"id":2,"at":5}'
    with pytest.raises(VendorError) as caught:
        require("test_vendor", SHAPE, [good, {"id": 3}], "sync list")
    assert str(caught.value) == "test_vendor: sync list: id 3: at: missing; nothing loaded"


def test_an_attribute_with_mixed_types_becomes_json_text() -> None:
    from sources.arrow import to_table

    table = to_table([{"id": 1, "extra": 1}, {"id": 2, "extra": "x"}, {"id": 3, "extra": {"k": 1}}], {})
    assert table.column("extra").to_pylist() == ["1", "x", '{"k":1}']
