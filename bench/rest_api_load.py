"""The baseline: dlt's built-in declarative `rest_api` source, configured for the same endpoints.

What a team would write first with dlt: syncs -> sync_runs -> sync_records resolved parent to
child, the same page sizes, bearer auth, `links.next` paging (every next link carries its query,
so `JSONLinkPaginator` loses nothing), merge on the same keys, the same DuckDB
destination. Everything else is left at dlt's defaults (dict rows, `insert_values`, nested
attributes flattened, records asked for every run), because the benchmark asks what syncscope's
choices buy over those defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_source

PAGINATOR = {"type": "json_link", "next_url_path": "links.next"}


def config(
    base_url: str,
    token: str,
    workspace_id: str | None,
    runs_per_page: int = 500,
    records_per_page: int = 1000,
) -> dict[str, Any]:
    """The rest_api configuration: three resources, children resolved from their parents."""
    headers = {"Workspace-Id": str(workspace_id)} if workspace_id else {}
    return {
        "client": {
            "base_url": base_url.rstrip("/") + "/api/v1/",
            "auth": {"type": "bearer", "token": token},
            "headers": headers,
            "paginator": PAGINATOR,
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"data_selector": "data"},
        },
        "resources": [
            {"name": "syncs", "endpoint": {"path": "syncs", "params": {"per_page": 100}}},
            {
                "name": "sync_runs",
                "endpoint": {
                    "path": "syncs/{sync_id}/sync_runs",
                    "params": {
                        "sync_id": {"type": "resolve", "resource": "syncs", "field": "id"},
                        "per_page": runs_per_page,
                    },
                },
            },
            {
                "name": "sync_records",
                "primary_key": ["attributes__sync_run_id", "id"],
                "endpoint": {
                    "path": "syncs/{sync_id}/sync_runs/{run_id}/sync_records",
                    "params": {
                        "sync_id": {
                            "type": "resolve",
                            "resource": "sync_runs",
                            "field": "attributes.sync_id",
                        },
                        "run_id": {"type": "resolve", "resource": "sync_runs", "field": "id"},
                        "per_page": records_per_page,
                    },
                },
            },
        ],
    }


def load(db: Path, base_url: str, token: str, workspace_id: str | None) -> dict[str, int]:
    """Run the rest_api source into a DuckDB file; rows per table as dlt's normalize counted them."""
    pipeline = dlt.pipeline(
        pipeline_name="bench_rest_api",
        destination=dlt.destinations.duckdb(str(db.resolve())),
        dataset_name="raw_rest_api",
        pipelines_dir=str(db.resolve().parent / f".{db.name}.dlt"),
    )
    pipeline.run(rest_api_source(config(base_url, token, workspace_id)))  # type: ignore[arg-type]
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: n for table, n in counts.items() if not table.startswith("_dlt")}
