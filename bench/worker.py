"""One measured load, run as its own process: `python -m bench.worker KIND --db FILE`.

Every measured load gets a fresh interpreter so no load inherits another's dlt state, caches,
threads or heap, and so the parent can sample this process's RSS alone. The parent passes the
sandbox's SOURCES__... variables in the environment. The clock starts after the imports: the
figures compare loaders, not interpreter start-up. Output, one line each:

    phase <name>      when a phase starts (the parent attributes its RSS samples to it)
    result <json>     {"seconds", "rows": {table: n}, "status", "message", "phases": {name: s}}

Kinds: `syncscope` (the product's source and pipeline, exactly as `run_vendor` builds them for
`syncscope run`, with `pipeline.run` split into extract / normalize / load so time and memory
can be attributed to a step), `rest_api` (dlt's declarative source, bench/rest_api_load.py)
and `ceiling` (fetch and parse only, bench/ceiling.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

# Imported before the clock starts, for every kind alike.
from bench import rest_api_load
from bench.ceiling import crawl
from pipelines.dlt_setup import pipeline_for, release_memory_after
from pipelines.runner import build_source
from sources.http import close_clients

KINDS = ("syncscope", "rest_api", "ceiling")


def _phase(name: str) -> None:
    print(f"phase {name}", flush=True)


def _ai_env() -> tuple[str, str, str | None]:
    env = os.environ
    return (
        env["SOURCES__AI_SQUARED__BASE_URL"],
        env["SOURCES__AI_SQUARED__API_TOKEN"],
        env.get("SOURCES__AI_SQUARED__WORKSPACE_ID"),
    )


def _syncscope(db: Path) -> dict[str, Any]:
    """`run_vendor`'s load split into its three steps, each timed and announced.

    Equivalent to it here: the pipeline state is local and nothing is pending (run_vendor's first
    `pipeline.run()` would only pull state from the destination or finish a killed run's package).
    """
    pipeline = pipeline_for("ai_squared", db)
    # Built as run_vendor builds it: settings pinned to their own keys, then the source.
    source = build_source("ai_squared")
    phases: dict[str, float] = {}
    rows: dict[str, int] = {}
    for name in ("extract", "normalize", "load"):
        _phase(name)
        started = time.perf_counter()
        if name == "extract":
            release_memory_after(pipeline.extract(source))  # as run_vendor does before the load
        elif name == "normalize":
            counts = pipeline.normalize().row_counts
            rows = {table: n for table, n in counts.items() if not table.startswith("_dlt")}
        else:
            pipeline.load()
        phases[name] = round(time.perf_counter() - started, 3)
    return {"rows": rows, "status": "loaded", "message": "", "phases": phases}


def _rest_api(db: Path) -> dict[str, Any]:
    _phase("load")
    return {"rows": rest_api_load.load(db, *_ai_env()), "status": "loaded", "message": ""}


def _ceiling(_: Path) -> dict[str, Any]:
    concurrency = int(os.environ.get("SOURCES__AI_SQUARED__HTTP_CONCURRENCY", "8"))
    _phase("fetch")
    counted = crawl(*_ai_env(), concurrency=concurrency)
    counted.pop("requests")
    return {"rows": counted, "status": "loaded", "message": ""}


RUNNERS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "syncscope": _syncscope,
    "rest_api": _rest_api,
    "ceiling": _ceiling,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        out = RUNNERS[args.kind](args.db)
    finally:
        close_clients("ai_squared")
    out["seconds"] = round(time.perf_counter() - started, 3)
    _phase("done")
    print("result " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
