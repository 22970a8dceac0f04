"""`syncscope run`: load every configured vendor into the warehouse, then build the models."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.jobs import EXIT_LOCKED, RunOutcome, run_all
from pipelines.lock import LockHeld
from pipelines.models import DEGRADED_BELOW
from pipelines.runner import VENDORS, VendorResult


def summary_line(result: VendorResult) -> str:
    if result.status != "loaded":
        return f"{result.vendor:<11} {result.status}: {result.message}"
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(result.rows.items())) or "no new rows"
    return (
        f"{result.vendor:<11} loaded in {result.seconds:.1f}s: {rows} "
        f"({result.requests:,} requests, {result.retries:,} retries)"
    )


def report_outcome(outcome: RunOutcome) -> None:
    if outcome.model_error:
        click.echo(f"models      failed: {outcome.model_error}", err=True)
    elif outcome.models:
        click.echo(f"models      built {len(outcome.models.models)} in {outcome.models.seconds:.2f}s")
    for test in outcome.failed_tests:
        click.echo(f"data test   {test.path.name}: {test.failures} offending rows", err=True)


def execute(db: Path, vendors: list[str], degraded_below: float = DEGRADED_BELOW) -> RunOutcome:
    """Run and print one line per step; exits the process when the warehouse is locked."""
    try:
        outcome = run_all(
            db, vendors, degraded_below=degraded_below, on_result=lambda r: click.echo(summary_line(r))
        )
    except LockHeld as exc:
        click.echo(f"run: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    report_outcome(outcome)
    return outcome


@click.command()
@click.option("--vendor", "vendors", type=click.Choice(VENDORS), multiple=True,
              help="Only this vendor (repeatable). Default: every configured vendor.")  # fmt: skip
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="syncscope.duckdb",
              show_default=True, help="The DuckDB warehouse file.")  # fmt: skip
@click.option("--degraded-below", type=click.FloatRange(0, 1), default=DEGRADED_BELOW, show_default=True,
              help="7-day success rate under which a sync is 'degraded'.")  # fmt: skip
def run(vendors: tuple[str, ...], db: Path, degraded_below: float) -> None:
    """Load sync telemetry from every configured vendor, then build the models.

    Configuration comes from .dlt/config.toml, .dlt/secrets.toml and SOURCES__<VENDOR>__<KEY>
    environment variables; a vendor without credentials is skipped. Safe to schedule: loads are
    incremental and idempotent, and a second run on the same database exits at once.

    \b
    Exit codes: 0 ok; 2 a setting is wrong; 3 every vendor failed (unreachable/auth);
                4 some vendors failed, others loaded; 5 another run holds the database;
                6 loaded, but the models failed to build.

    \b
    Examples:
      syncscope run
      syncscope run --vendor ai_squared --db /data/syncscope.duckdb
    """
    outcome = execute(db, list(vendors or VENDORS), degraded_below)
    sys.exit(outcome.exit_code)
