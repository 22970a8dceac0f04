"""`syncscope models`: (re)build the SQL models and run the data tests."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from pipelines.anomaly_settings import configured_sensitivity
from pipelines.commands.exits import exits
from pipelines.commands.options import anomaly_sensitivity_option, db_option, iso_time_option
from pipelines.data_tests import run_tests
from pipelines.exit_codes import EXIT_HELD, EXIT_LOCKED
from pipelines.lock import LockHeld, warehouse_lock
from pipelines.models import DEGRADED_BELOW, ModelError, build
from pipelines.terminal import plain
from pipelines.warehouse import WarehouseHeld


@click.command()
@db_option()
@click.option("--as-of", "as_of", metavar="ISO", callback=iso_time_option,
              help="Reference time (default: the newest load).")  # fmt: skip
@click.option("--degraded-below", type=click.FloatRange(0, 1), default=DEGRADED_BELOW, show_default=True,
              help="7-day success rate under which a sync is 'degraded'.")  # fmt: skip
@anomaly_sensitivity_option(configured_sensitivity)
def models(db: Path, as_of: datetime | None, degraded_below: float, anomaly_sensitivity: float) -> None:
    """(Re)build staging views and mart tables, then run the data tests.

    The data tests are the key tests generated from each model's `-- key:` line and the queries
    in sql/tests; a failing one prints its name and up to 5 offending rows.

    The build is one transaction: if a model fails, the previous marts stay as they were.
    Exit codes: 0 built and every data test passed; 1 a model or data test failed (or could not run);
    5 a run holds the warehouse; 10 another process keeps the file open.

    \b
    Examples:
      syncscope models
      syncscope models --as-of 2026-11-01T00:00:00Z   # replay health as it stood then
      syncscope models --anomaly-sensitivity 4        # flag only |z| >= 4
    """
    if not db.exists():
        raise click.UsageError(f"no warehouse at {db}: run `syncscope run` first")
    failures = {LockHeld: EXIT_LOCKED, WarehouseHeld: EXIT_HELD, ModelError: 1}
    with exits("models", failures), warehouse_lock(db):  # a run loading meanwhile would fail on the held file
        result = build(
            db, as_of=as_of, degraded_below=degraded_below, anomaly_sensitivity=anomaly_sensitivity
        )
        tests = run_tests(db)
        failed = [t for t in tests if t.failed]
    click.echo(f"built {len(result.models)} models in {result.seconds:.2f}s")
    for test in [t for t in tests if t.warned]:
        click.echo(f"data test warning: {plain(test.report())}", err=True)
    for test in failed:
        click.echo(f"data test {plain(test.report())}", err=True)  # rows hold vendor text
    if failed:
        sys.exit(1)
