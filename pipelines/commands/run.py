"""`syncscope run`: load every configured vendor into the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.runner import VENDORS, VendorResult, run_vendor


def summary_line(result: VendorResult) -> str:
    if result.status != "loaded":
        return f"{result.vendor:<11} {result.status}: {result.message}"
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(result.rows.items())) or "no new rows"
    return (
        f"{result.vendor:<11} loaded in {result.seconds:.1f}s: {rows} "
        f"({result.requests:,} requests, {result.retries:,} retries)"
    )


@click.command()
@click.option("--vendor", "vendors", type=click.Choice(VENDORS), multiple=True,
              help="Only this vendor (repeatable). Default: every configured vendor.")  # fmt: skip
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="syncscope.duckdb",
              show_default=True, help="The DuckDB warehouse file.")  # fmt: skip
def run(vendors: tuple[str, ...], db: Path) -> None:
    """Load sync telemetry from every configured vendor into the warehouse.

    Configuration comes from .dlt/config.toml, .dlt/secrets.toml and SOURCES__<VENDOR>__<KEY>
    environment variables; a vendor without credentials is skipped.

    \b
    Examples:
      syncscope run
      syncscope run --vendor ai_squared --db /data/syncscope.duckdb
    """
    results = [run_vendor(vendor, db) for vendor in vendors or VENDORS]
    for result in results:
        click.echo(summary_line(result))
    if any(r.status == "failed" for r in results):
        sys.exit(1)
