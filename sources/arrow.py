"""Rows -> Arrow tables with the types the warehouse keeps (shared by the vendor sources).

Arrow is how the sources stay fast: dlt loads Arrow tables about 30x faster than dict rows
(measured with dlt 1.31 on a 2-core machine). Known attributes get explicit types.

An attribute the code does not know (the excerpts never forbid extra properties) is kept in a
text column of its name: text as it is, any other value as its exact JSON text (`7`, `true`,
`[1,"x"]`, `{}`, integers beyond 64 bits as written), null when absent or null. One type whatever
the values:
an inferred type would fail a load on `{}` (Parquet has no empty struct), on values whose JSON
types differ (1 here, "x" there), and, worse, on a later load whose values disagree with the
type an earlier load gave the column (dlt casts an Arrow column into the stored type and the
load fails for good). JSON text never disagrees with itself.

A property whose name is no plain column name (upper case, spaces, `""`, `_dlt...`: dlt would
rename it, and two names could meet on one column and fail the load), or that the source
overwrote (an attribute named `id`), goes into one text column, `unknown_properties`, holding a
JSON object of them, names as sent (sources/exact_json.py).
"""

from __future__ import annotations

from operator import methodcaller
from typing import Any

import pyarrow as pa

from sources.columns import Kinds, arrow_type
from sources.exact_json import JsonText, to_text, unknown_as_text
from sources.timestamps import epoch_us
from sources.validate import shown


class ColumnError(ValueError):
    """A value Arrow cannot store in its column; names the table, the column and the value."""


def _timestamps(values: list[Any], dtype: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, pa.string()).cast(dtype)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Arrow's cast reads fewer forms than RFC 3339: read them one by one (named when not)
        # (a datetime is a poll's own clock)
        return pa.array([None if v is None else epoch_us(v) for v in values], pa.int64()).cast(dtype)


def _column(values: list[Any], dtype: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(dtype):
        return _timestamps(values, dtype)
    if pa.types.is_floating(dtype):  # a JSON number may be a whole number of any size
        values = [v if v is None or isinstance(v, float) else float(v) for v in values]
    return pa.array(values, dtype)


def _failing(values: list[Any], dtype: pa.DataType) -> Any:
    """The first value that cannot be stored alone, for the error message."""
    for value in values:
        try:
            _column([value], dtype)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            return value
    return values[0] if values else None


def to_table(rows: list[dict], kinds: Kinds, table: str = "rows") -> pa.Table:
    """Typed columns for the declared `kinds` (sources/columns.py; RFC 3339 text read as
    timestamps, `json` ones serialised to JSON text), text for the rest (the rule above).
    ColumnError (`<table>.<column>: cannot store <value>`) when a value does not fit its type."""
    known = kinds.keys()
    names = list(kinds)
    if not all(map(known.__ge__, map(dict.keys, rows))):  # (in C: most pages hold no unknown property)
        rows = [unknown_as_text(row, known) if any(k not in kinds for k in row) else row for row in rows]
        for row in rows:
            names.extend(k for k in row if k not in kinds and k not in names)
    fast = _from_pylist(rows, names, kinds)
    if fast is not None:
        return fast
    return _by_column(rows, names, kinds, table)


def _from_pylist(rows: list[dict], names: list[str], kinds: Kinds) -> pa.Table | None:
    """The table built in one C loop over the rows (the per-column Python lists cost more than
    Arrow's conversion: bench/RESULTS.md), or None when a value needs `_by_column`'s care: a JSON
    value not yet serialised (validation serialises them as `JsonText`), a whole number in a
    double column, a timestamp Arrow's cast does not read, or any value Arrow refuses."""
    fields, stamps = [], []
    for name in names:
        kind = kinds.get(name, "text")
        types = _CHECKED.get(kind)
        if types is not None and not types.issuperset(map(type, map(methodcaller("get", name), rows))):
            return None
        dtype = arrow_type(kind)
        if pa.types.is_timestamp(dtype):
            stamps.append(name)
            dtype = pa.string()
        fields.append(pa.field(name, dtype))
    try:
        built = pa.Table.from_pylist(rows, schema=pa.schema(fields))
        for name in stamps:
            at = built.schema.get_field_index(name)
            cast = built.column(at).cast(arrow_type("timestamp"))
            built = built.set_column(at, name, cast)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        return None
    return built


# The only value types the fast path takes in these kinds: a json column's values as validation
# leaves them (`_by_column` serialises the others), a double column's floats (it converts ints).
_CHECKED = {"json": frozenset({JsonText, type(None)}), "double": frozenset({float, type(None)})}


def _by_column(rows: list[dict], names: list[str], kinds: Kinds, table: str) -> pa.Table:
    """Column by column, naming the first value that cannot be stored."""
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        kind = kinds.get(name, "text")  # unknown_as_text made an unknown property text already
        dtype = arrow_type(kind)
        if kind == "json":
            values = [None if v is None else to_text(v) for v in values]
        try:
            columns[name] = _column(values, dtype)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            value = _failing(values, dtype)
            raise ColumnError(f"{table}.{name}: cannot store {shown(value, 60)} as {dtype}") from exc
    return pa.table(columns)
