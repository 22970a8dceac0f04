"""JSON that keeps what vendors send exactly: integers beyond 64 bits, text parsed once.

A record holds the source row as its connector read it, and integers there can exceed 64 bits
(VENDORS.md, verified). orjson, fast everywhere else, turns such an integer into a float without
a word. A page whose text holds a long digit run after `:`, `[` or `,` is parsed by the standard
library instead, which keeps integers of any size (as `LongInt`, an int that `dumps` passes to
orjson as its digits). False positives (a long number in a string) only cost speed.

The check runs on every page, so it is two C passes (digits folded to `0`, then a search for 19 of
them), not a regex: on a 1.1 MB record page without long integers the regex scan took 8 ms,
orjson's parse 4 ms, the two passes 0.7 ms (issue 18). The regex only confirms a hit.
Rewriting long integers to sentinel strings for orjson was measured and rejected: the rewrite
alone cost as much as the stdlib's parse, restoring exact ints in a Python walk of the page more,
and leaving sentinels in the parsed page would change what every vendor's code reads (hashes in
dlt state, counters read before validation).

`JsonText` marks a value already serialised (validation measures a JSON value by serialising
it): the Arrow conversion takes it as it is instead of serialising it again.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import orjson

# 19+ digits can exceed int64 (orjson also takes uint64, but ids that large are rare enough).
_LONG_INTEGER = re.compile(rb"[:\[,]\s*-?\d{19,}")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
INT64 = 2**63


class JsonText(str):
    """JSON text of a value, already serialised."""


def loads(content: bytes) -> Any:
    """orjson's result, unless the text holds an integer orjson would round."""
    if long_digit_run(content) and _LONG_INTEGER.search(content):
        return json.loads(content, parse_int=_integer)
    return orjson.loads(content)


class LongInt(int):
    """An integer beyond 64 bits as `loads` read it: an int like any other, that `dumps` can hand
    to orjson as its digits (re-serialising such values with the stdlib cost ~6x orjson)."""

    __slots__ = ()


def _integer(text: str) -> int:
    value = int(text)
    return LongInt(value) if len(text) > 18 and not -INT64 <= value < INT64 else value


def long_digit_run(content: bytes) -> bool:
    """Whether `content` holds 19 digits in a row anywhere (in C: no regex runs on most pages)."""
    return content.translate(_DIGITS_AS_ZERO).find(_LONG_RUN) >= 0


def dumps(value: Any) -> str:
    """Compact JSON text of a parsed value; integers of any size stay exact."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits (only json.loads makes those), or not JSON
        pass
    try:
        return dumps_long(value).decode()
    except TypeError:  # a long integer `loads` did not make, or a subclass: the stdlib writes them
        return _EXACT.encode(value)


def _digits(value: Any) -> orjson.Fragment:
    if type(value) is LongInt:
        return orjson.Fragment(int.__repr__(value))
    raise TypeError(type(value).__name__)


# orjson.dumps writing each `LongInt` as its digits (TypeError on any other subclass of int, str...)
dumps_long = functools.partial(orjson.dumps, default=_digits, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


# Built once: json.dumps with options builds an encoder per call (a third of its cost per value).
_EXACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_text(value: Any) -> str:
    """The JSON text of a value for a JSON column (as it is when already JsonText)."""
    return value if isinstance(value, JsonText) else dumps(value)


# Unknown properties whose names are no plain column name (upper case, spaces, "", `_dlt...`,
# `a__b`: dlt would rename them, and two could land on one column and fail the load), and
# values the source itself overwrote (`SHADOWED`), go to this one column, as a JSON object.
UNKNOWN = "unknown_properties"
SHADOWED = "\x00shadowed"  # a row key no vendor sends: {name: value} of overwritten properties
_PLAIN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def plain(name: Any) -> bool:
    """Whether `name` can be a column as it is (dlt keeps it, no other name becomes it)."""
    return (
        isinstance(name, str) and len(name) <= 64 and name != UNKNOWN and _PLAIN.fullmatch(name) is not None
    )


def unknown_as_text(row: dict, known: frozenset[str] | set[str]) -> dict:
    """A dict row (loaded by dlt's own normaliser) under the rule sources/arrow.py applies to
    Arrow tables: a property outside `known` becomes text (`as_text`), so
    `{}`, changing JSON types and integers beyond 64 bits neither fail nor vanish; one whose name
    is not `plain` goes into the `unknown_properties` object. Integers beyond 64 bits inside
    known nested objects become their decimal text (dlt writes no wider)."""
    out: dict = {}
    others: dict = {}
    for key, value in row.items():
        if key in known:
            out[key] = fit_64(value)
        elif key == SHADOWED and isinstance(value, dict):
            others.update(value)
        elif plain(key):
            out[key] = as_text(value)
        else:
            others[key] = value
    if others:
        out[UNKNOWN] = dumps(others)
    return out


def shadow(row: dict, name: str) -> dict:
    """`row` with the vendor's own `name` moved aside (the source is about to set that key)."""
    if name not in row:
        return row
    row = dict(row)
    row.setdefault(SHADOWED, {})[name] = row.pop(name)
    return row


def as_text(value: Any) -> str | None:
    """An unknown property's value as stored: text as it is, null as null, any other value as its
    exact JSON text."""
    return value if value is None or isinstance(value, str) else to_text(value)


def fit_64(value: Any) -> Any:
    """`value` with every integer outside int64 as its decimal text (exact), nested ones too."""
    return walk(value, _int_as_text)


def _int_as_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        return str(value)
    return value


def walk(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """A copy of a parsed JSON value with `leaf` applied to every value that is no object or list
    (sources/validate.py cuts strings with it, `fit_64` widens integers)."""
    if isinstance(value, dict):
        return {k: walk(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [walk(v, leaf) for v in value]
    return leaf(value)
