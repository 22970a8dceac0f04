"""One way to declare a table's columns, whichever way its rows travel to dlt.

A table is declared as `{column: kind}`, the kind being a dlt data type (`text`, `bigint`,
`double`, `timestamp`, `bool`, `json`). The same declaration gives the Arrow types of a table
yielded as Arrow (`arrow_type`), the dlt column hints of a table yielded as dict rows (`hints`),
and the kinds `sources/validate.py` coerces a vendor's values to: the kinds are its own names, so
a field is typed once for all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns

Kinds = Mapping[str, str]

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "json": pa.string(),  # JSON text; the resource hints the column as json
    "bigint": pa.int64(),
    "double": pa.float64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
}


def arrow_type(kind: str) -> pa.DataType:
    return ARROW_TYPES[kind]


def hints(kinds: Kinds, not_null: Iterable[str] = ()) -> TTableSchemaColumns:
    """dlt column hints of `kinds`: every column nullable except `not_null`."""
    required = set(not_null)
    unknown = required - set(kinds)
    if unknown:
        raise ValueError(f"not_null names undeclared columns: {sorted(unknown)}")
    return {name: {"data_type": kind, "nullable": name not in required} for name, kind in kinds.items()}  # type: ignore[misc]


def json_hints(kinds: Kinds) -> TTableSchemaColumns:
    """The hints an Arrow table needs beyond its Arrow types: which text columns hold JSON."""
    return hints({name: kind for name, kind in kinds.items() if kind == "json"})
