"""bench/delivery.py at toy size: it measures a real delivery and writes its section, keeping the rest."""

from __future__ import annotations

import os
from pathlib import Path

from bench import delivery
from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.deliver.compare import warehouse_marts
from tests.deliver.conftest import require_postgres
from tests.deliver.test_postgres import syncscope


def test_the_delivery_bench_writes_its_section_between_markers(sandbox: Sandbox, tmp_path: Path) -> None:
    require_postgres()
    db, out = tmp_path / "w.duckdb", tmp_path / "RESULTS.md"
    assert syncscope("run", "--db", str(db), "--no-publish", env=sandbox.env()).returncode == EXIT_OK
    out.write_text("# results\n\nkept above\n")
    delivery.main(["--db", str(db), "--repeat", "1", "--out", str(out)])
    delivery.main(["--db", str(db), "--repeat", "1", "--out", str(out)])  # replaces its section
    text = out.read_text()
    assert text.startswith("# results\n\nkept above\n\n<!-- delivery: begin -->")
    assert text.count(delivery.BEGIN) == text.count(delivery.END) == 1
    marts = warehouse_marts(db)
    rows = sum(len(r) for _, r in marts.values())
    assert (
        f"Warehouse: {len(marts['sync_runs'][1]):,} sync_runs rows, {rows:,} rows in all marts; 1 repetitions"
        in text
    )
    assert "| sync_runs rows it sent (dlt's load info) | 0 |  |" in text
    assert "DESTINATION__POSTGRES__CREDENTIALS" not in os.environ  # the bench leaves no setting behind
