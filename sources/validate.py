"""Vendor rows checked and coerced before dlt sees them, so one bad response never poisons a load.

A row that reaches dlt with a wrong type or a null key can fail in normalize or load, after the
vendor's state moved on, and leave a package that fails every later run. So each source passes
what it read through `Shape.coerce` first:

* a declared field is coerced to its kind (`"12"` -> 12 for a count, `12` -> `"12"` for text, an
  ISO time checked); a value that cannot be coerced, or a required field that is missing, sets
  the whole row aside with a reason naming the field (`status: missing`,
  `duration_ms: expected a whole number, got 'abc'`);
* text longer than `MAX_TEXT` characters (64 KiB) is cut there and marked (`…[cut N chars]`),
  anywhere in the row; a JSON value longer than `MAX_JSON` characters (1 MiB) is replaced by a
  marker holding its first `MAX_TEXT` characters.

Rows set aside go to the vendor's `RejectSink`; the runner writes them to
`raw_<vendor>._rejected` (resource, reason, key ids, the raw row cut to `MAX_RAW` characters,
seen_at) after the load, and names the first reason in the run's output.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from sources import exact_json, timestamps
from sources.validate_columns import coerce_page

MAX_TEXT = 65_536  # characters of any one text value
MAX_JSON = 1_048_576  # characters of one JSON value, serialised
MAX_RAW = 4_096  # characters of a rejected row kept in raw_<vendor>._rejected
INT64 = 2**63


class RowError(ValueError):
    """A field of a row cannot be used; `str()` names the field and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters, marked so nobody mistakes it for the whole value."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[cut {len(text) - limit} chars]"


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: its repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise RowError(name, f"expected a whole number, got {shown(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value == int(value):
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise RowError(name, f"expected a whole number, got {shown(value)}") from None
    else:
        raise RowError(name, f"expected a whole number, got {shown(value)}")
    if not -INT64 <= number < INT64:
        raise RowError(name, f"{number} does not fit 64 bits")
    return number


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(name, f"expected a number, got {shown(value)}")
    try:
        number = float(value)  # a whole number of any size is a JSON number: kept as its double
    except ValueError:
        raise RowError(name, f"expected a number, got {shown(value)}") from None
    except OverflowError:  # beyond the largest double (~1.8e308): no double holds it
        raise RowError(name, f"{shown(value)} does not fit a double") from None
    if not math.isfinite(number):
        raise RowError(name, f"expected a finite number, got {shown(value)}")
    return number


def _timestamp(name: str, value: Any) -> str:
    """An RFC 3339 time as text (the sources parse it): the vendor's own text when it is in the
    usual extended form (so hashes and state kept from earlier loads still match), else the
    same instant rewritten in that form (Arrow and dlt read no other), UTC when no zone is given.

    Rewriting cuts fraction digits past the sixth (never rounds) and reads `t`, `z`, `-00:00`
    and a leap second as sources/timestamps.py says."""
    if not isinstance(value, str):
        raise RowError(name, f"expected an ISO-8601 time, got {shown(value)}")
    text = value.strip()
    if _EXTENDED.fullmatch(text):
        return text
    try:
        moment = timestamps.parse(text)
    except (ValueError, OverflowError):
        raise RowError(name, f"expected an ISO-8601 time, got {shown(value)}") from None
    return moment.isoformat()


_EXTENDED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RowError(name, f"expected true or false, got {shown(value)}")


def _text(name: str, value: Any) -> str:
    """Text as is (cut); a number or boolean as its JSON text; an object or list as JSON text."""
    if isinstance(value, str):
        return cut(value)
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return cut(orjson.dumps(value).decode())
    except TypeError:
        raise RowError(name, f"expected text, got {type(value).__name__}") from None


def _json(name: str, value: Any) -> Any:
    """The value's JSON text (exact, measured once and kept), or a marker when it is too big."""
    try:
        text = exact_json.dumps(value)
    except (TypeError, ValueError):
        raise RowError(name, "not JSON") from None
    if len(text) <= MAX_JSON:
        return exact_json.JsonText(text)
    return {"_cut": True, "chars": len(text), "head": text[:MAX_TEXT]}


KINDS = {
    "bigint": _integer,
    "double": _number,
    "timestamp": _timestamp,
    "bool": _boolean,
    "text": _text,
    "json": _json,
}


def _cut_strings(value: Any) -> Any:
    """Every string in an undeclared value cut to MAX_TEXT (nested ones too)."""
    return exact_json.walk(value, _cut_leaf)


def _cut_leaf(value: Any) -> Any:
    return cut(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Shape:
    """What one resource's rows must look like: `fields` maps a (dotted) path to a kind."""

    resource: str
    fields: dict[str, str]
    required: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()  # what identifies a row to a person (run id, sync id, ...), as text

    def coerce(self, row: Any) -> dict:
        """A coerced copy of `row`; RowError naming the first field that cannot be used."""
        if not isinstance(row, dict):
            raise RowError("(row)", f"expected an object, got {type(row).__name__}")
        top = self.top
        out = {k: v if k in top else _cut_strings(v) for k, v in row.items()}
        for path, nested, kind, required in self._plan:
            if nested:
                parent, name = _parent(out, path)
            else:  # a top-level field (most of them): no path to walk
                parent, name = out, path
            if parent is None or name not in parent or parent[name] is None:
                if required:
                    raise RowError(path, "missing")
                continue
            parent[name] = kind(path, parent[name])
        return out

    # Computed once per Shape, not per row: the profile on the replay server (bench/RESULTS.md)
    # showed these two, rebuilt for every key of every row, as a load's largest own cost.
    @functools.cached_property
    def top(self) -> frozenset[str]:
        """The top-level fields."""
        return frozenset(p for p in self.fields if "." not in p)

    @functools.cached_property
    def columns(self) -> tuple[tuple[str, str, bool], ...] | None:
        """(field, kind, required) of each field, for checking a page column by column
        (sources/validate_columns.py); None when a field is nested (those go row by row)."""
        if any("." in p for p in self.fields):
            return None
        return tuple((p, k, p in self.required) for p, k in self.fields.items())

    @functools.cached_property
    def _plan(self) -> tuple[tuple[str, bool, Any, bool], ...]:
        return tuple((p, "." in p, KINDS[k], p in self.required) for p, k in self.fields.items())

    def key_ids(self, row: Any) -> dict[str, Any]:
        if not isinstance(row, dict):
            return {}
        ids = {}
        for path in self.keys:
            parent, name = _parent(row, path)
            value = None if parent is None else parent.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                ids[path] = cut(str(value), 200)
        return ids


def _parent(row: dict, path: str) -> tuple[dict | None, str]:
    """The dict holding the last segment of `path` (copied on the way, so `row`'s caller's
    nested dicts are never changed), and that segment."""
    *heads, name = path.split(".")
    current: Any = row
    for head in heads:
        child = current.get(head) if isinstance(current, dict) else None
        if not isinstance(child, dict):
            return None, name
        child = dict(child)
        current[head] = child
        current = child
    return current if isinstance(current, dict) else None, name


@dataclass
class Rejected:
    resource: str
    reason: str
    key_ids: dict[str, Any]
    raw: str
    seen_at: datetime


@dataclass
class RejectSink:
    """Rows one vendor set aside during a load; thread-safe (workers validate in parallel)."""

    rows: list[Rejected] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, shape: Shape, row: Any, error: RowError, **context: Any) -> None:
        try:
            raw = orjson.dumps(row, default=str).decode()
        except TypeError:
            raw = repr(row)
        ids = {**{k: cut(str(v), 200) for k, v in context.items() if v is not None}, **shape.key_ids(row)}
        entry = Rejected(shape.resource, str(error), ids, cut(raw, MAX_RAW), datetime.now(UTC))
        with self._lock:
            self.rows.append(entry)

    def drain(self) -> list[Rejected]:
        with self._lock:
            rows, self.rows = self.rows, []
        return rows


_SINKS: dict[str, RejectSink] = {}


def sink_for(vendor: str) -> RejectSink:
    """The process-wide sink of one vendor, drained by the runner after each load."""
    return _SINKS.setdefault(vendor, RejectSink())


def accept(vendor: str, shape: Shape, rows: list[Any], **context: Any) -> list[dict]:
    """The rows that can be used, coerced; the others go to the vendor's sink."""
    sink = sink_for(vendor)
    return _coerce_all(shape, rows, lambda row, exc: sink.add(shape, row, exc, **context))


def require(vendor: str, shape: Shape, rows: list[Any], what: str) -> list[dict]:
    """Every row coerced, or a VendorError naming the field and the row: for listings, where
    leaving a row out would read as "deleted" (a missing sync must not close its history)."""
    from sources.http import VendorError  # here: the HTTP layer imports nothing from this module

    def fail(row: Any, exc: RowError) -> None:
        ids = ", ".join(f"{k} {v}" for k, v in shape.key_ids(row).items()) or "a row"
        raise VendorError(vendor, f"{what}: {ids}: {exc}; nothing loaded") from None

    return _coerce_all(shape, rows, fail)


def _coerce_all(shape: Shape, rows: list[Any], reject: Callable[[Any, RowError], None]) -> list[dict]:
    """The rows coerced column by column when the whole page allows it (sources/validate_columns.py),
    else row by row, each row that cannot be used handed to `reject`."""
    checked = coerce_page(shape, rows)
    if checked is not None:
        return checked
    out = []
    for row in rows:
        try:
            out.append(shape.coerce(row))
        except RowError as exc:
            reject(row, exc)
    return out


def accept_one(vendor: str, shape: Shape, row: Any, **context: Any) -> dict | None:
    """`row` coerced, or None when it was set aside."""
    accepted = accept(vendor, shape, [row], **context)
    return accepted[0] if accepted else None
