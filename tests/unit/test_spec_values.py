"""Pure parsing of what the vendor specs allow: RFC 3339 times, huge numbers, unknown properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest

from sources import exact_json, timestamps
from sources.arrow import TS, ColumnError, to_table
from sources.toolkit import iso_ms, parse_timestamp, short_hash
from sources.validate import RowError, Shape

T = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-18T11:06:40Z", T),
        ("2026-11-18t11:06:40z", T),
        ("2026-11-18T11:06:40-00:00", T),
        ("2026-11-18 11:06:40+00:00", T),
        ("2026-11-18T07:36:40-03:30", T),
        ("2026-11-18T11:06:40.123456789Z", T + timedelta(microseconds=123_456)),
        ("2026-11-18T11:06:40.1Z", T + timedelta(microseconds=100_000)),
        ("2026-11-18T11:06:40.9999999Z", T + timedelta(microseconds=999_999)),  # cut, not rounded
        ("2026-12-31T23:59:60Z", datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),  # leap second
        ("2026-11-18T11:06:40", T),  # no zone: UTC
    ],
)
def test_rfc3339_times_are_read_to_the_microsecond(text: str, expected: datetime) -> None:
    assert timestamps.parse(text) == expected
    assert timestamps.epoch_us(text) == (expected - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    assert parse_timestamp(text) == expected
    assert iso_ms(text) == int(expected.timestamp() * 1000)


def test_a_parsed_time_keeps_its_offset() -> None:
    assert timestamps.parse("2026-11-18T07:36:40-03:30").utcoffset() == -timedelta(hours=3, minutes=30)
    assert timestamps.parse("2026-11-18T11:06:40+05:45").tzinfo == timezone(timedelta(hours=5, minutes=45))


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-18T11:06:40+24:00", ""])
def test_what_is_no_time_raises(text: str) -> None:
    with pytest.raises(ValueError):
        timestamps.parse(text)


SHAPE = Shape("runs", {"at": "timestamp", "rate": "double"})


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("2026-11-18T11:06:40.123Z", "2026-11-18T11:06:40.123Z"),  # the usual form: as written
        ("2026-11-18T11:06:40-00:00", "2026-11-18T11:06:40-00:00"),
        ("2026-11-18t11:06:40.123456789z", "2026-11-18T11:06:40.123456+00:00"),
        ("2026-12-31T23:59:60.5Z", "2026-12-31T23:59:59.999999+00:00"),
    ],
)
def test_validation_keeps_the_usual_form_and_rewrites_the_rest(text: str, kept: str) -> None:
    assert SHAPE.coerce({"at": text})["at"] == kept
    table = to_table([{"at": kept}], {"at": TS})
    assert table.column("at").to_pylist() == [timestamps.parse(text)]


def test_a_whole_number_of_any_size_is_a_double() -> None:
    assert SHAPE.coerce({"rate": 2**70 + 12_345})["rate"] == float(2**70)
    assert to_table([{"rate": 2**70 + 12_345}, {"rate": None}], {"rate": pa.float64()}).column(
        "rate"
    ).to_pylist() == [float(2**70), None]
    with pytest.raises(RowError, match=r"^rate: 1000000000.* does not fit a double$"):
        SHAPE.coerce({"rate": 10**400})


def test_unknown_properties_are_text_whatever_their_values() -> None:
    rows = [
        {"id": 1, "x": {}},
        {"id": 2, "x": []},
        {"id": 3, "x": 7},
        {"id": 4, "x": "seven"},
        {"id": 5, "x": 2**70},
        {"id": 6, "x": None},
        {"id": 7, "x": {"a": [True, 2.5]}},
        {"id": 8},
    ]
    table = to_table(rows, {"id": pa.int64()})
    assert table.schema.field("x").type == pa.string()
    assert table.column("x").to_pylist() == [
        "{}", "[]", "7", "seven", "1180591620717411303424", None, '{"a":[true,2.5]}', None
    ]  # fmt: skip


def test_dict_rows_follow_the_same_rule() -> None:
    row = {"id": 1, "source": {"id": 2**64, "name": "a"}, "x": {}, "y": "text", "z": None}
    assert exact_json.unknown_as_text(row, frozenset({"id", "source"})) == {
        "id": 1,
        "source": {"id": "18446744073709551616", "name": "a"},
        "x": "{}",
        "y": "text",
        "z": None,
    }


def test_a_value_arrow_cannot_store_names_table_column_and_value() -> None:
    with pytest.raises(ColumnError) as caught:
        to_table(
            [{"rows_per_sec": 1.5}, {"rows_per_sec": "x"}], {"rows_per_sec": pa.float64()}, table="sync_runs"
        )
    assert str(caught.value) == "sync_runs.rows_per_sec: cannot store 'x' as double"
    with pytest.raises(ColumnError) as caught:
        to_table([{"at": "2026-11-18T11:06:40Z"}, {"at": "soon"}], {"at": TS}, table="sync_runs")
    assert str(caught.value) == "sync_runs.at: cannot store 'soon' as timestamp[us, tz=UTC]"


def test_short_hash_takes_integers_beyond_64_bits_and_keeps_earlier_hashes() -> None:
    assert short_hash({"b": 1, "a": 2}) == short_hash({"a": 2, "b": 1})
    assert short_hash({"n": 2**70}) != short_hash({"n": 2**70 + 1})
    assert short_hash({"n": 2**70, "b": 1}) == short_hash({"b": 1, "n": 2**70})


def test_pages_of_every_size_of_integer_stay_exact() -> None:
    assert exact_json.loads(b'{"a":{"b":[1,-1180591620717411303424]}}') == {"a": {"b": [1, -(2**70)]}}


@pytest.mark.parametrize(
    "name", ["ID", "Status", "a b", "", "_dlt_id", "x__y", "Ünï", "a_", "unknown_properties", "9a"]
)
def test_a_property_whose_name_is_no_plain_column_goes_into_one_object(name: str) -> None:
    table = to_table(
        [{"id": 1, "status": "ok", name: {"v": 2**70}}, {"id": 2, "status": "ok"}], {"id": pa.int64()}
    )
    assert table.column_names == ["id", "status", "unknown_properties"]
    assert table.column("unknown_properties").to_pylist() == [
        exact_json.dumps({name: {"v": 2**70}}),
        None,
    ]


def test_plain_names_are_the_ones_dlt_keeps() -> None:
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    naming = NamingConvention()
    for name in ["status", "extra_info", "a1_b2", "x9"]:
        assert exact_json.plain(name) and naming.normalize_identifier(name) == name
    for name in ["Status", "a b", "x__y", "_x", "x_"]:
        assert not exact_json.plain(name)


def test_a_property_the_source_overwrites_is_kept_aside() -> None:
    row = exact_json.shadow({"id": "vendor's", "n": 1}, "id")
    table = to_table([{**row, "id": 7}], {"id": pa.int64(), "n": pa.int64()})
    assert table.to_pylist() == [{"id": 7, "n": 1, "unknown_properties": '{"id":"vendor\'s"}'}]
