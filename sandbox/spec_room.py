"""The `spec_room` fault knob: spec-valid answers that use room the vendors' excerpts allow but the
sandbox's own bodies never take (issue 19), so a test can prove the sources load them exactly.

Each answer stays valid against the excerpts (tests/spec_validation.py checks it):

* `nanos`: every date-time gets nine fraction digits: `.123Z` becomes `.123999999Z` (RFC 3339
  allows any number; a Go or Rust server prints nanoseconds);
* `lower_tz`: `t` and `z` in lower case (RFC 3339 §5.6, note); `minus_zero`: `Z` becomes `-00:00`;
  `offset`: the same instant written at `-03:30`;
* `empty_object:<key>`: every row object gets an unknown property `<key>` holding `{}`;
* `mixed_types:<key>`: every row object gets `<key>` with a value whose JSON type depends on the
  row (`mixed_value`): an integer, text, a list, an object, a boolean, a float, `{}` or `[]`;
* `big_number:<key>`: every non-null number `<key>` becomes `big_number_value(v)`, a whole number
  above 2^60 or 2^70 (the `number` fields `duration` and `rows_per_sec`);
* `big_integer:<key>`: every row object and every AI Squared `record` gets `<key>` holding
  `BIG_INTEGER`, an integer beyond 64 bits;
* `nul:<key>`: every text value of `<key>` gets a NUL character in the middle (`nul_text`);
* `empty_job_id:<sync id>`: the newest run of that Timbal sync has the job id `""`.

Row objects are AI Squared's `attributes`, Timbal's listed and detailed SyncViews, its stats and
runs, Paragon's listed syncs and status bodies. Date-times inside `record` and `logs` are kept.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

KINDS = ("nanos", "lower_tz", "minus_zero", "offset")
KEYED = ("empty_object", "mixed_types", "big_number", "big_integer", "nul", "empty_job_id")
PATTERN = re.compile(rf"^(?:{'|'.join(KINDS)}|(?:{'|'.join(KEYED)}):.+)$")
DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$")
OPAQUE = ("record", "logs")  # payloads whose text is the source's data, not the vendor's fields
BIG_INTEGER = 2**70 + 12_345  # 1180591620717411316769: beyond 64 bits
MIXED: tuple[Any, ...] = (7, "seven", [1, "x"], {"a": 1}, True, 2.5, {}, [])


def mixed_value(identity: str) -> Any:
    """The `mixed_types` value of the row whose id (run id, job id, sync id) is `identity`."""
    return MIXED[zlib.crc32(identity.encode()) % len(MIXED)]


def big_number_value(value: float) -> int:
    """The whole number `big_number` serves in place of `value`: above 2^60 (past what a double
    holds exactly, within 64 bits) when its thousandths are even, above 2^70 (beyond 64 bits)
    when odd."""
    return (2**60 if round(value * 1000) % 2 == 0 else 2**70) + int(value) * 1_000 + 1


def nul_text(value: str) -> str:
    return value[: len(value) // 2] + "\x00" + value[len(value) // 2 :]


def dumps(body: Any) -> bytes:
    """JSON text that keeps integers of any size (orjson stops at 64 bits)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def apply(vendor: str, knob: str, path: str, body: Any) -> None:
    """Change `body` (one parsed 200 answer of `vendor` to a GET of `path`) in place."""
    kind, _, key = knob.partition(":")
    if kind in KINDS:
        _times(body, kind)
        return
    if kind == "empty_job_id":
        if vendor == "timbal" and isinstance(body, dict) and path.rstrip("/").endswith(f"/syncs/{key}"):
            runs = body.get("recent_runs") or []
            if runs and isinstance(runs[0], dict):
                runs[0]["job_id"] = ""
        return
    if kind == "nul":
        _each_value(body, key, lambda v: nul_text(v) if isinstance(v, str) else v)
        return
    if kind == "big_number":
        _each_value(body, key, lambda v: big_number_value(v) if _is_number(v) else v)
        return
    for identity, row in _rows(vendor, body, path):
        if kind == "empty_object":
            row[key] = {}
        elif kind == "mixed_types":
            row[key] = mixed_value(identity)
        elif kind == "big_integer":
            row[key] = BIG_INTEGER
            if isinstance(row.get("record"), dict):
                row["record"][key] = BIG_INTEGER


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rows(vendor: str, body: Any, path: str) -> list[tuple[str, dict]]:
    """(identity, row object) of one answer."""
    if not isinstance(body, dict):
        return []
    out: list[tuple[str, Any]] = []
    if vendor == "ai_squared":
        data = body.get("data")
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                out.append((str(item.get("id")), item.get("attributes")))
    elif vendor == "timbal":
        out += [(str(s.get("id")), s) for s in body.get("syncs") or [] if isinstance(s, dict)]
        if isinstance(body.get("sync"), dict):
            sync_id = str(body["sync"].get("id"))
            out += [(sync_id, body["sync"]), (f"{sync_id}:stats", body.get("stats"))]
        out += [(str(r.get("job_id")), r) for r in body.get("recent_runs") or [] if isinstance(r, dict)]
    elif "data" in body:  # paragon's listing
        out += [(str(s.get("id")), s) for s in body["data"] or [] if isinstance(s, dict)]
    else:  # paragon's status of one sync
        out.append((path.rsplit("/", 1)[-1], body))
    return [(identity, row) for identity, row in out if isinstance(row, dict)]


def _each_value(node: Any, key: str, change) -> None:
    """`change` applied to the value of every `key` outside the opaque payloads."""
    if isinstance(node, list):
        for item in node:
            _each_value(item, key, change)
    elif isinstance(node, dict):
        if key in node and node[key] is not None:
            node[key] = change(node[key])
        for name, value in node.items():
            if name not in OPAQUE:
                _each_value(value, key, change)


def _times(node: Any, kind: str) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            node[i] = _time(item, kind) if isinstance(item, str) else item
            _times(item, kind)
    elif isinstance(node, dict):
        for name, value in node.items():
            if name in OPAQUE:
                continue
            if isinstance(value, str):
                node[name] = _time(value, kind)
            else:
                _times(value, kind)


def _time(text: str, kind: str) -> str:
    match = DATE_TIME.match(text)
    if not match:
        return text
    day, clock, fraction = match[1], match[2], match[3] or ""
    if kind == "nanos":
        millis = (fraction[1:] + "000")[:3]
        return f"{day}T{clock}.{millis}999999Z"
    if kind == "lower_tz":
        return f"{day}t{clock}{fraction}z"
    if kind == "minus_zero":
        return f"{day}T{clock}{fraction}-00:00"
    return _shifted(day, clock, fraction)


def _shifted(day: str, clock: str, fraction: str) -> str:
    """The same instant written at -03:30."""
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(f"{day}T{clock}") - timedelta(hours=3, minutes=30)
    return f"{moment.isoformat()}{fraction}-03:30"
