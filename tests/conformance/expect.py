"""Is every served id and scalar in the warehouse, exactly? Written apart from the sources.

Kinds come from the excerpts (a field's `type`/`format`), values from what the server sent, and
the warehouse is read with plain SQL: timestamps as epoch microseconds (so instants outside
Python's `datetime` still compare), JSON as its text parsed by `json` (big integers exact). The
expectations are the vendor's values, never something the sources computed:

* date-time: the instant, to the microsecond (fraction digits past the sixth are cut);
* integer: the same whole number; number: the double nearest the JSON number;
* string: the same characters, NUL included; boolean: the same;
* JSON payloads (`record`, `logs`) and objects or lists in unknown properties: the same JSON value
  (an integer stays an integer of the same size, a float the same float);
* an unknown scalar property: its column holds the value itself, or its JSON text when the
  column is JSON; a double column is accepted only for numbers it holds exactly.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tests.spec_validation import spec_dict

from .rfc3339 import epoch_us
from .worlds import AiSquaredWorld, ParagonWorld, TimbalWorld

Table = dict[tuple, dict[str, tuple[str, Any]]]  # key -> column -> (duckdb type, value)


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, key: tuple[str, ...]) -> Table:
    """Every row of `schema.table` by `key`, each column with its type; timestamps as epoch us."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not columns:
        return {}
    exprs = []
    for name, kind in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if kind.startswith("TIMESTAMP"):
            exprs.append(f"epoch_us({quoted})")
        elif kind == "JSON":
            exprs.append(f"{quoted}::VARCHAR")
        else:
            exprs.append(quoted)
    rows = con.execute(f'select {", ".join(exprs)} from "{schema}"."{table}"').fetchall()
    out: Table = {}
    for row in rows:
        cells = {name: (kind, value) for (name, kind), value in zip(columns, row, strict=True)}
        out.setdefault(tuple(cells[k][1] for k in key), cells)
    return out


def same_json(a: Any, b: Any) -> bool:
    """JSON equality that tells true from 1 and 1 from 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def mismatch(kind: str, served: Any, cell: tuple[str, Any] | None) -> str | None:
    """Why the stored `cell` does not hold `served` of `kind`; None when it does."""
    if cell is None:  # dlt makes no column for a field only ever null
        return None if served is None else "no such column"
    column, stored = cell
    if served is None:
        return None if stored is None else f"stored {stored!r} for null"
    if stored is None:
        return "stored null"
    if kind == "date-time":
        ok = column.startswith("TIMESTAMP") and stored == epoch_us(served)
    elif kind == "integer":
        whole = isinstance(stored, int) or (
            isinstance(stored, Decimal) and stored == stored.to_integral_value()
        )
        ok = whole and not isinstance(stored, bool) and stored == served
    elif kind == "number":
        ok = isinstance(stored, float) and stored == float(served)
    elif kind == "string":
        ok = isinstance(stored, str) and stored == served
    elif kind == "boolean":
        ok = stored is served
    elif kind == "json":
        ok = isinstance(stored, str) and same_json(json.loads(stored), served)
    else:
        ok = _unknown_ok(served, column, stored)
    return None if ok else f"stored {stored!r} ({column})"


def _unknown_ok(served: Any, column: str, stored: Any) -> bool:
    if column in ("JSON", "VARCHAR") and isinstance(stored, str):
        if isinstance(served, str) and stored == served:
            return True
        try:
            return same_json(json.loads(stored), served)
        except ValueError:
            return False
    if isinstance(served, bool) or isinstance(stored, bool):
        return stored is served
    if column == "DOUBLE" and isinstance(served, int | float):
        exact = isinstance(served, float) or (math.isfinite(float(served)) and int(float(served)) == served)
        return exact and stored == float(served)
    return isinstance(served, int) and type(stored) is int and stored == served


def _resolve(node: dict, spec: dict) -> dict:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _kind(prop: dict, spec: dict) -> str:
    prop = _resolve(prop, spec)
    types = prop.get("type", "object")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    kind = types[0]
    if kind == "string" and prop.get("format") == "date-time":
        return "date-time"
    return "json" if kind in ("object", "array") else kind


def property_kinds(spec_name: str, *path: str) -> dict[str, str]:
    """Property -> kind at `path` of the excerpt: a component name, or `data` of a list answer."""
    spec = spec_dict(spec_name)
    if path[0] == "components":
        node = spec["components"]["schemas"][path[1]]
    else:
        op = next(iter(spec["paths"].values()))["get"]
        node = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
        node = node.get("items", node)["properties"]["attributes"]
    return {name: _kind(prop, spec) for name, prop in _resolve(node, spec)["properties"].items()}


PLAIN_NAME = re.compile(r"[a-z][a-z0-9]{0,63}(?:_[a-z0-9]+)*")  # a letter first; dlt renames "12abc"


def _compare(
    problems: list[str],
    where: str,
    served: dict,
    row: dict | None,
    known: dict[str, str],
    taken: frozenset[str] = frozenset(),
) -> None:
    """Each served field of one object against its row. A known field is the column of its name;
    an unknown one (README, "Every value the specs allow") too when its name is a plain column
    name, else (or when the source sets a field of that name itself, `taken`) it is the entry of
    that name in the row's `unknown_properties` JSON object."""
    if row is None:
        problems.append(f"{where}: not in the warehouse")
        return
    odd: dict[str, Any] | None = None
    for name, value in served.items():
        if name in known:
            why = mismatch(known[name], value, row.get(name))
        elif PLAIN_NAME.fullmatch(name) and len(name) <= 64 and name not in taken | {"unknown_properties"}:
            why = mismatch("unknown", value, row.get(name))
        else:
            if odd is None:
                odd = _odd_properties(row.get("unknown_properties"))
            why = None if name in odd and same_json(odd[name], value) else f"unknown_properties hold {odd}"
        if why:
            problems.append(f"{where}: {name}: served {value!r}, {why}")


def _odd_properties(cell: tuple[str, Any] | None) -> dict[str, Any]:
    """The row's `unknown_properties` object ({} when there is none)."""
    if cell is None or cell[1] is None:
        return {}
    parsed = json.loads(cell[1])
    return parsed if isinstance(parsed, dict) else {}


ID = frozenset({"id"})  # set by the source from the JSON:API id: an attribute of that name is odd


def ai_squared_problems(db: Path, served: dict[tuple, Any], world: AiSquaredWorld) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        syncs = read_table(con, "raw_ai_squared", "syncs", ("id",))
        runs = read_table(con, "raw_ai_squared", "sync_runs", ("id",))
        records = read_table(con, "raw_ai_squared", "sync_records", ("sync_run_id", "id"))
    finally:
        con.close()
    run_kinds = property_kinds("ai_squared_list_sync_runs", "data")
    record_kinds = {**property_kinds("ai_squared_list_sync_records", "data"), "logs": "json"}
    problems: list[str] = []
    for key, obj in served.items():
        attrs = obj["attributes"]
        if key[0] == "sync":
            flat = {k: v for k, v in attrs.items() if not isinstance(v, dict)}
            for side in ("source", "destination"):
                flat.update({f"{side}__{k}": v for k, v in attrs[side].items()})
            sync_kinds = {k: _value_kind(k, v) for k, v in flat.items()}
            _compare(problems, f"syncs {key[1]}", flat, syncs.get((key[1],)), sync_kinds)
        elif key[0] == "run":  # its sync's id from the URL when the attributes leave it out
            row = runs.get((key[2],))
            _compare(problems, f"sync_runs {key[2]}", {"sync_id": key[1], **attrs}, row, run_kinds, ID)
        else:
            where = f"sync_records run {key[2]} record {key[3]}"
            ids = {"sync_id": key[1], "sync_run_id": key[2]}
            _compare(problems, where, {**ids, **attrs}, records.get((key[2], key[3])), record_kinds, ID)
    return problems


def _value_kind(name: str, value: Any) -> str:
    """Kinds of the sandbox-shaped sync list (not in the excerpts)."""
    if name.endswith("_at"):
        return "date-time"
    return {bool: "boolean", int: "integer", str: "string"}.get(type(value), "unknown")


TIMBAL_SYNC_COLUMNS = (
    "connector_id", "name", "source_kind", "connection_ref", "source_schema", "source_table",
    "cursor_column", "kb_uid", "dest_table", "interval_secs", "enabled", "created_at", "updated_at",
)  # fmt: skip


SNAPSHOT_SET = frozenset({"sync_id", "polled_at"})  # the snapshot key, set by the source


def timbal_problems(db: Path, served: dict[tuple, Any], world: TimbalWorld) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        syncs = read_table(con, "raw_timbal", "syncs", ("id",))
        snapshots = read_table(con, "raw_timbal", "sync_snapshots", ("sync_id",))
        runs = read_table(con, "raw_timbal", "sync_runs", ("job_id",))
    finally:
        con.close()
    view_kinds = property_kinds("timbal_get_connector_sync", "components", "SyncView")
    stats_kinds = property_kinds("timbal_get_connector_sync", "components", "SyncStatsView")
    run_kinds = property_kinds("timbal_get_connector_sync", "components", "SyncRunView")
    problems: list[str] = []
    for (_, sync_id), detail in served.items():
        view = detail["sync"]
        config = {k: v for k, v in view.items() if k in TIMBAL_SYNC_COLUMNS}
        _compare(problems, f"syncs {sync_id!r}", config, syncs.get((sync_id,)), view_kinds)
        snapshot = snapshots.get((sync_id,))
        stats = detail["stats"]
        # Unknown properties of the stats: one JSON object in the `stats` column (README rule);
        # a view property named like a column the row fills itself is kept in unknown_properties.
        inner = {k: v for k, v in stats.items() if k not in stats_kinds}
        taken = SNAPSHOT_SET | frozenset(stats_kinds) | ({"stats"} if inner else set())
        rest = {k: v for k, v in view.items() if k not in TIMBAL_SYNC_COLUMNS and k != "id"}
        _compare(problems, f"sync_snapshots {sync_id!r}", rest, snapshot, view_kinds, taken)
        known_stats = {k: v for k, v in stats.items() if k in stats_kinds}
        _compare(problems, f"sync_snapshots {sync_id!r} stats", known_stats, snapshot, stats_kinds)
        if inner and snapshot is not None:
            held = _odd_properties(snapshot.get("stats"))
            if not same_json(held, inner):
                problems.append(f"sync_snapshots {sync_id!r}: stats: served {inner!r}, stored {held!r}")
        for run in detail["recent_runs"]:
            row = runs.get((run["job_id"],))
            where = f"sync_runs {run['job_id']!r}"
            _compare(problems, where, run, row, run_kinds, frozenset({"sync_id"}))
            _compare(problems, where, {"sync_id": sync_id}, row, {"sync_id": "string"})
    return problems


_STATUS = spec_dict("paragon_get_sync_status")["components"]["schemas"]["SyncStatus"]["properties"]
STATUS_FIELDS = frozenset(_STATUS) | {"incrementalAccumulatorFrequency"}  # the latter: VENDORS.md
SUMMARY_FIELDS = frozenset(_STATUS["summary"]["properties"])
PARAGON_SET = frozenset({"sync_id", "first_seen_at", "polled_at", "user_id", "summary", "unknown_properties"})


def paragon_problems(db: Path, served: dict[tuple, Any], world: ParagonWorld) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        syncs = read_table(con, "raw_paragon", "syncs", ("id",))
        snapshots = read_table(con, "raw_paragon", "sync_status_snapshots", ("sync_id",))
    finally:
        con.close()
    problems: list[str] = []
    for key, obj in served.items():
        if key[0] != "status":
            continue
        sync_id = key[1]
        item = served[("item", sync_id)]
        summary = obj.get("summary")
        credential = obj.get("credentialId", item.get("credentialId"))
        snapshot = {
            "status": obj["status"],
            "credential_id": credential,
            "total_records": summary.get("totalRecords"),
            "synced_records_count": summary.get("syncedRecordsCount"),
            "last_synced_at": summary.get("lastSyncedAt"),
            "latest_cursor": summary.get("latestCursor"),
            "reason": obj.get("reason"),
            "rate_limit_backoff_ms": obj.get("rateLimitBackoffMs"),
        }
        snapshot_kinds = dict.fromkeys(snapshot, "string")
        snapshot_kinds.update(
            dict.fromkeys(("total_records", "synced_records_count", "rate_limit_backoff_ms"), "integer")
        )
        snapshot_kinds["last_synced_at"] = "date-time"
        where = f"sync_status_snapshots {sync_id!r}"
        row = snapshots.get((sync_id,))
        _compare(problems, where, snapshot, row, snapshot_kinds)
        # Unknown properties (README rule); those of `summary` as one JSON object in `summary`.
        extras = {k: v for k, v in obj.items() if k not in STATUS_FIELDS}
        if row is not None:
            _compare(problems, where, extras, row, {}, frozenset(snapshot) | PARAGON_SET)
        inner = {k: v for k, v in summary.items() if k not in SUMMARY_FIELDS}
        if inner and row is not None:
            held = _odd_properties(row.get("summary"))
            if not same_json(held, inner):
                problems.append(f"{where}: summary: served unknown {inner!r}, stored {held!r}")
        sync = {
            "integration": item.get("integration"), "pipeline": item.get("pipeline"), "status": obj["status"],
            "reason": obj.get("reason"), "credential_id": credential,
            "frequency": obj.get("incrementalAccumulatorFrequency"),
        }  # fmt: skip
        _compare(problems, f"syncs {sync_id!r}", sync, syncs.get((sync_id,)), dict.fromkeys(sync, "string"))
    return problems


PROBLEMS = {"ai_squared": ai_squared_problems, "timbal": timbal_problems, "paragon": paragon_problems}
