"""How syncscope sets dlt up: the per-vendor pipeline, its DuckDB destination, memory and logs.

`pipeline_for` is the one pipeline factory: state beside the warehouse (`.<db name>.dlt/`, 0700,
so two warehouses never share cursors), the destination with its memory cap, fifo extraction,
dlt's trace scrubbed of secrets and its Arrow-hint warnings filtered. Nothing happens at import.

Memory: how dlt and DuckDB are told to load, so that peak memory stays flat as volume grows.

Measured by `python -m bench` (case 4, a full AI Squared load of 1,000 syncs, bench/RESULTS.md):
with dlt's and DuckDB's defaults, peak RSS went from ~0.95 GB at 1 M records to ~2.2 GB at 5 M,
nearly all of it in the load step, where DuckDB merges the staged files with a buffer pool of 80%
of RAM; dlt's round-robin extract added ~0.35 GB more at 5 M. Capping DuckDB's memory (it spills
to `<db>.tmp` beyond the cap), letting dlt finish one transformer call before starting the next,
and handing the extract's freed memory back to the system before the load (its base) keep the
peak at 0.78 GB at 1 M and 0.86 GB at 5 M, at the same speed. The first two stay overridable:
`warehouse.load_memory_limit` and dlt's own `extract.next_item_mode`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
from dlt.common.pipeline import ExtractInfo
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.logs import quiet_arrow_merge_warnings
from pipelines.redact import install_trace_scrubber

LOAD_MEMORY_LIMIT = "512MB"  # DuckDB size syntax; "80%" restores DuckDB's own default
NEXT_ITEM_MODE = "fifo"  # dlt's default, round_robin, keeps up to 20 transformers' pages alive


class SettingError(ValueError):
    """A load setting has a value DuckDB or dlt would reject; the message is one line."""


def load_memory_limit() -> str:
    """`warehouse.load_memory_limit` (env WAREHOUSE__LOAD_MEMORY_LIMIT), else the measured default.

    Checked by DuckDB itself before any request is made, so a typo fails in one line up front
    rather than as a DuckDB error after the whole extract.
    """
    value = dlt.config.get("warehouse.load_memory_limit", str)
    limit = value.strip() if value and value.strip() else LOAD_MEMORY_LIMIT
    try:
        with duckdb.connect() as con:
            con.execute("set memory_limit = ?", [limit])
    except duckdb.Error:
        raise SettingError(
            f"warehouse.load_memory_limit: {limit!r} is not a size DuckDB accepts (e.g. 512MB, 2GB, 50%)"
        ) from None
    return limit


def duckdb_destination(db: Path) -> object:
    """The warehouse as a dlt destination whose every connection carries the memory cap."""
    credentials = DuckDbCredentials(str(db.resolve()), global_config={"memory_limit": load_memory_limit()})
    return dlt.destinations.duckdb(credentials)


def apply_extract_defaults() -> None:
    """fifo unless the user chose a mode (config.toml `[extract]` or EXTRACT__NEXT_ITEM_MODE).

    Written to dlt's in-memory config only when nothing is set, so a user's value always wins.
    """
    if dlt.config.get("extract.next_item_mode", str) is None:
        dlt.config["extract.next_item_mode"] = NEXT_ITEM_MODE


# Below this many bytes of extracted files the extract left little to give back, and a no-op load
# (nothing new: only the state file) would pay a full collection (~0.1-0.2 s) for nothing.
RELEASE_ABOVE_BYTES = 16 * 1024 * 1024


def extracted_bytes(info: ExtractInfo) -> int:
    """Bytes of the files an extract wrote (every job of every package)."""
    return sum(
        job.file_size
        for metrics in info.metrics.values()
        for step in metrics
        for job in step["job_metrics"].values()
    )


def release_memory_after(info: ExtractInfo) -> None:
    """`release_memory()` when the extract wrote enough to matter (RELEASE_ABOVE_BYTES)."""
    if extracted_bytes(info) > RELEASE_ABOVE_BYTES:
        release_memory()


def release_memory() -> None:
    """Give memory the extract freed back to the OS, so DuckDB's load starts from a lower base.

    Freed Python objects and Arrow buffers stay in the allocators' pools (glibc malloc, Arrow's
    mimalloc) and count in RSS until trimmed. Where there is no glibc (macOS), only the
    collection and Arrow's pool apply.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError, TypeError):  # no libc, or no malloc_trim
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def state_dir(db: Path) -> Path:
    """dlt's working folder for the warehouse `db`: `.<db name>.dlt/` beside it."""
    return db.resolve().parent / f".{db.name}.dlt"


def pipeline_for(vendor: str, db: Path) -> dlt.Pipeline:
    """The vendor's pipeline `syncscope_<vendor>` into dataset `raw_<vendor>` of `db`.

    Raises SettingError for a load setting DuckDB rejects (before any request is made).
    """
    apply_extract_defaults()
    quiet_arrow_merge_warnings()  # dlt's Arrow-hint warning (idempotent; see logs.QuietArrowMerge)
    folder = state_dir(db)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # dlt's files inside may be 0644: nobody else can reach them
    install_trace_scrubber()
    return dlt.pipeline(
        pipeline_name=f"syncscope_{vendor}",
        destination=duckdb_destination(db),
        dataset_name=f"raw_{vendor}",
        pipelines_dir=str(folder),
    )
