"""A load that failed in dlt's normalize or load step is moved aside, so the next run starts clean.

dlt retries a pending package on every later run: one package its destination refuses (a null
in a NOT NULL column, a value DuckDB rejects) would fail the vendor for good, until someone
deletes dlt's working files by hand. So the runner moves the vendor's whole working folder
(state, schema, the package, the trace) to `<state dir>/failed/<pipeline>-<UTC time>/`, kept
for diagnosis and named in a warning. The next run finds no local state and restores it from
the warehouse (dlt keeps it in `_dlt_pipeline_state`), i.e. as of the last load that committed:
cursors never run ahead of the rows that were loaded, so nothing is skipped; the failed load's
rows are simply read again from the vendor.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

FAILED = "failed"


def move_aside(working_dir: Path) -> Path | None:
    """Move a pipeline's working folder under `failed/`; its new path, or None if absent."""
    if not working_dir.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = working_dir.parent / FAILED / f"{working_dir.name}-{stamp}"
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.move(str(working_dir), str(target))
    return target
