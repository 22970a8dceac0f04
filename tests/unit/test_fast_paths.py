"""The fast paths of a record page (bench/RESULTS.md, issue 18) give what the slow ones give.

exact_json's long-integer check in C, validation column by column (sources/validate_columns.py),
the Arrow table in one `from_pylist`: each is checked against the row-by-row or column-by-column
path it short-cuts, and each hands a page it is not sure of to that path, which names the row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from sources import arrow, exact_json
from sources.exact_json import JsonText
from sources.http import VendorError
from sources.validate import MAX_TEXT, RowError, Shape, accept, require, sink_for
from sources.validate_columns import coerce_page

KINDS = {"id": "bigint", "rate": "double", "at": "timestamp", "ok": "bool", "note": "text", "doc": "json"}
SHAPE = Shape("fast", KINDS, required=("id", "at"), keys=("id",))
BIG = 2**70 + 1  # 1180591620717411303425


def _page() -> list[dict]:
    return [
        {"id": "77", "rate": 1.5, "at": "2026-11-18T11:06:40.123456Z", "ok": True, "note": "a\x00b",
         "doc": {"n": BIG, "s": "x"}},
        {"id": 78, "at": "2026-11-18T11:06:41+01:00", "doc": None, "note": None},
        {"id": -(2**63), "at": "2026-11-18T11:06:42Z", "doc": [1, "two"], "rate": None, "ok": False},
    ]  # fmt: skip


def test_long_digit_run_is_found_in_c_and_a_string_holding_one_keeps_its_text() -> None:
    assert exact_json.long_digit_run(b'{"n":1180591620717411303425}')
    assert not exact_json.long_digit_run(b'{"n":123456789012345678,"s":"1234567890.123456789"}')
    # digits after `:` inside a string: the page takes the exact path, the string is untouched
    text = b'{"s":"a:12345678901234567890","t":"[,99999999999999999999]","n":7}'
    assert exact_json.loads(text) == {"s": "a:12345678901234567890", "t": "[,99999999999999999999]", "n": 7}
    text = b'{"s":"a:12345678901234567890","n":-1180591620717411303425}'
    assert exact_json.loads(text) == {"s": "a:12345678901234567890", "n": -BIG}
    assert exact_json.dumps(exact_json.loads(text)) == text.decode()


def test_one_walker_takes_the_leaf_rule() -> None:
    value = {"a": [BIG, "s", {"b": True}], "c": 1}
    assert exact_json.walk(value, lambda v: f"<{v}>") == {
        "a": [f"<{BIG}>", "<s>", {"b": "<True>"}],
        "c": "<1>",
    }
    assert exact_json.fit_64(value) == {"a": [str(BIG), "s", {"b": True}], "c": 1}


def test_a_clean_page_is_coerced_column_wise_as_row_by_row() -> None:
    page = _page()
    fast = coerce_page(SHAPE, page)
    assert fast == [SHAPE.coerce(row) for row in page]
    assert fast is not None and [list(row) for row in fast] == [list(row) for row in page], (
        "keys kept, in order"
    )
    assert (
        fast[0]["id"] == 77
        and fast[0]["doc"] == f'{{"n":{BIG},"s":"x"}}'
        and isinstance(fast[0]["doc"], JsonText)
    )
    assert fast[1]["doc"] is None and "rate" not in fast[1]
    assert fast[2]["doc"] == '[1,"two"]' and fast[2]["id"] == -(2**63)
    assert page[0]["id"] == "77" and page[0]["doc"] == {"n": BIG, "s": "x"}, (
        "the caller's rows are not changed"
    )


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"id": True}, "id: expected a whole number, got True"),
        ({"id": "twelve"}, "id: expected a whole number, got 'twelve'"),
        ({"id": 2**63}, "id: 9223372036854775808 does not fit 64 bits"),
        ({"at": None}, "at: missing"),
        ({"at": "2026-11-18 11:06:40"}, None),  # not the extended form: rewritten row by row
        ({"rate": float("nan")}, "rate: expected a finite number, got nan"),
        ({"rate": 2}, None),  # a whole number in a double: converted row by row
        ({"ok": 1}, None),
        ({"note": "n" * (MAX_TEXT + 1)}, None),
        ({"extra": "undeclared"}, None),
    ],
)
def test_a_page_the_fast_path_is_not_sure_of_goes_row_by_row(bad: dict, reason: str | None) -> None:
    page = _page()
    page[1] = {**page[1], **bad}
    assert coerce_page(SHAPE, page) is None
    sink_for("fast-test").drain()
    kept = accept("fast-test", SHAPE, page)
    rejected = sink_for("fast-test").drain()
    if reason is None:  # coerced row by row
        assert kept == [SHAPE.coerce(row) for row in page] and rejected == []
    else:  # the bad row, and only it, set aside with the row-by-row reason
        assert kept == [SHAPE.coerce(page[0]), SHAPE.coerce(page[2])]
        assert [(r.reason, r.key_ids) for r in rejected] == [(reason, SHAPE.key_ids(page[1]))]
        with pytest.raises(VendorError, match=f"^ai_squared: sync list: .*{reason[:20]}.*; nothing loaded$"):
            require("ai_squared", SHAPE, page, "sync list")
        with pytest.raises(RowError):
            SHAPE.coerce(page[1])


def test_a_nested_shape_and_non_dict_rows_go_row_by_row() -> None:
    assert coerce_page(Shape("n", {"a.b": "bigint"}), [{"a": {"b": 1}}]) is None
    assert coerce_page(SHAPE, [*_page(), ["not", "a", "row"]]) is None


RECORD_KINDS = {
    "id": "bigint",
    "record": "json",
    "at": "timestamp",
    "rate": "double",
    "ok": "bool",
    "s": "text",
}


def _checked_rows() -> list[dict]:
    return [
        {"id": 1, "record": JsonText(f'{{"n":{BIG}}}'), "at": "2026-11-18T11:06:40.123456Z", "rate": 0.5,
         "ok": True, "s": "a\x00b"},
        {"id": 2, "record": None, "at": None},
    ]  # fmt: skip


def test_the_table_built_in_one_pass_equals_the_column_wise_one() -> None:
    rows = _checked_rows()
    names = list(RECORD_KINDS)
    fast = arrow._from_pylist(rows, names, RECORD_KINDS)
    assert fast is not None and fast.equals(arrow._by_column(rows, names, RECORD_KINDS, "t"))
    assert fast.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert fast.column("at").to_pylist() == [datetime(2026, 11, 18, 11, 6, 40, 123456, tzinfo=UTC), None]
    assert fast.column("record").to_pylist() == [f'{{"n":{BIG}}}', None]
    assert fast.column("s").to_pylist() == ["a\x00b", None]


def test_values_needing_care_leave_the_one_pass_and_a_bad_value_is_named() -> None:
    names = list(RECORD_KINDS)
    for change in ({"record": {"n": 1}}, {"rate": 1}, {"at": "2026-11-18T11:06:40.1234567Z"}):
        rows = [{**_checked_rows()[0], **change}]
        assert arrow._from_pylist(rows, names, RECORD_KINDS) is None
        table = arrow.to_table(rows, RECORD_KINDS)
        assert table.equals(arrow._by_column(rows, names, RECORD_KINDS, "rows"))
    assert arrow.to_table([{"id": 1, "record": {"n": 1}}], RECORD_KINDS).column("record").to_pylist() == [
        '{"n":1}'
    ]
    with pytest.raises(arrow.ColumnError, match=r"^t\.ok: cannot store 'yes' as bool$"):
        arrow.to_table([*_checked_rows(), {"id": 3, "ok": "yes"}], RECORD_KINDS, table="t")
    unknown = arrow.to_table([{"id": 1, "Odd Name": BIG, "plain": [1]}], RECORD_KINDS)
    assert unknown.column("plain").to_pylist() == ["[1]"]
    assert json.loads(unknown.column("unknown_properties")[0].as_py()) == {"Odd Name": BIG}


def test_long_integers_are_read_as_long_ints_and_written_back_exactly() -> None:
    text = b'{"a":[1180591620717411303425,-1180591620717411303425,9223372036854775807,7],'
    text += b'"f":1.5e+16,"s":"x\\u0000"}'
    value = exact_json.loads(text)
    assert [type(n) for n in value["a"]] == [exact_json.LongInt, exact_json.LongInt, int, int]
    assert (
        value["a"][:2] == [BIG, -BIG] and str(value["a"][0]) == str(BIG) and repr(value["a"][1]) == f"-{BIG}"
    )
    assert exact_json.dumps(value) == text.decode() == json.dumps(value, separators=(",", ":"))
    assert exact_json.dumps({"made": BIG, "text": JsonText("t")}) == f'{{"made":{BIG},"text":"t"}}'
