"""A page of rows checked column by column, in C where Python allows, before row by row.

`Shape.coerce` runs per row per field in Python; on a page of records that was the load's
largest own cost after the HTTP client (bench/RESULTS.md). Most pages hold only values that are
already what their field wants (whole numbers, RFC 3339 text in the extended form, text within
`MAX_TEXT`), so `coerce_page` checks each column with C loops (`map`, `set`, `min`, `max`) and
serialises JSON values with orjson over the column, and gives the same rows `Shape.coerce` would.
Any value it is not sure of (a number sent as text with spaces, a short time form, a missing
required field, an undeclared property...) makes it answer None: the caller then runs the
per-row path, which coerces what it can and names the row that cannot be used.
"""

from __future__ import annotations

import math
from itertools import repeat
from operator import methodcaller
from typing import TYPE_CHECKING, Any

import orjson

from sources import exact_json
from sources.exact_json import JsonText

if TYPE_CHECKING:
    from sources.validate import Shape

NONE = type(None)
INT64 = 2**63
_ALLOWED = {  # value types each kind takes as they are (besides None)
    "bigint": frozenset({int, str, NONE}),  # str: "123" as the id of a JSON:API resource
    "double": frozenset({float, NONE}),
    "timestamp": frozenset({str, NONE}),
    "bool": frozenset({bool, NONE}),
    "text": frozenset({str, NONE}),
    "json": None,  # any JSON value: serialised
}


def coerce_page(shape: Shape, rows: list[Any]) -> list[dict] | None:
    """`[shape.coerce(row) for row in rows]` when every row passes, else None (no row named)."""
    from sources.validate import _EXTENDED, MAX_JSON, MAX_TEXT  # (validate imports this module)

    if not rows or shape.columns is None or not {dict}.issuperset(map(type, rows)):
        return None
    if not all(map(shape.top.issuperset, rows)):  # an undeclared property: strings in it are cut
        return None
    changed: dict[str, list[Any]] = {}
    for name, kind, required in shape.columns:
        column = list(map(methodcaller("get", name), rows))
        present = [v for v in column if v is not None] if None in column else column
        if required and len(present) < len(column):
            return None
        types = set(map(type, present))
        allowed = _ALLOWED[kind]
        if allowed is not None and not allowed.issuperset(types):
            return None
        if kind == "bigint":
            if str in types:
                try:
                    present = list(map(int, present))  # int() strips and reads as `_integer` does
                except ValueError:
                    return None
                changed[name] = present
            if present and not (min(present) >= -INT64 and max(present) < INT64):
                return None
        elif kind == "double":
            if not all(map(math.isfinite, present)):  # the stdlib parser reads NaN, Infinity
                return None
        elif kind == "text":
            if present and max(map(len, present)) > MAX_TEXT:
                return None
        elif kind == "timestamp":
            if not all(map(_EXTENDED.fullmatch, present)):
                return None
        elif kind == "json" and present:
            texts = _json_texts(present)
            if texts is None or max(map(len, texts)) > MAX_JSON:
                return None
            changed[name] = texts
    out = list(map(dict, rows))
    for name, values in changed.items():
        targets = out if len(values) == len(out) else [row for row in out if row.get(name) is not None]
        for row, value in zip(targets, values, strict=True):
            row[name] = value
    return out


def _json_texts(values: list[Any]) -> list[JsonText] | None:
    """Each value's exact JSON text; None when one is no JSON (the per-row path names it).
    (JsonText decodes orjson's bytes itself: one string made per value, not two.)"""
    try:
        return list(map(JsonText, map(orjson.dumps, values), repeat("utf-8")))
    except TypeError:  # an integer beyond 64 bits somewhere in the column (or no JSON value)
        pass
    try:
        return list(map(JsonText, map(exact_json.dumps_long, values), repeat("utf-8")))
    except TypeError:  # a long integer exact_json did not read, or a subclass
        pass
    try:
        return list(map(JsonText, map(exact_json.dumps, values)))
    except (TypeError, ValueError):
        return None
