"""`syncscope deliver`: copy the built marts to the team's warehouse (any dlt destination)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.commands.exits import exits
from pipelines.commands.options import db_option
from pipelines.deliver import DeliverConfigError, DeliverSettings, DeliveryError, deliver
from pipelines.deliver.settings import check_driver, read_settings, resolve_configuration
from pipelines.exit_codes import EXIT_CONFIG, EXIT_DELIVER, EXIT_LOCKED
from pipelines.lock import LockHeld, warehouse_lock


def delivery_settings(command: str, destination: str | None = None) -> DeliverSettings:
    """`[deliver]` read and its credentials resolved before any work; exits 2 in one line if wrong."""
    with exits(command, {DeliverConfigError: EXIT_CONFIG}):
        settings = read_settings(destination)
        resolve_configuration(settings)
        check_driver(settings)
    return settings


@click.command(name="deliver")
@db_option()
@click.option("--destination", default=None, help="A dlt destination name; default: deliver.destination.")
def deliver_command(db: Path, destination: str | None) -> None:
    """Deliver the marts already built in the warehouse to the [deliver] destination.

    `syncscope run --deliver` does the same after every load. Readers of the destination see the
    previous delivery or this one, never a mix; `<dataset>.delivery` names the version.

    \b
    Exit codes: 0 delivered; 2 a setting or credential is missing or wrong;
                5 another run holds the warehouse; 12 the destination failed (retried next run).

    \b
    Examples:
      DESTINATION__POSTGRES__CREDENTIALS=postgresql://loader:***@db:5432/analytics \\
        syncscope deliver --destination postgres
    """
    settings = delivery_settings("deliver", destination)
    if not db.exists():
        click.echo(f"deliver: {db} does not exist: run `syncscope run` first", err=True)
        sys.exit(EXIT_CONFIG)
    failures = {
        LockHeld: EXIT_LOCKED,
        DeliverConfigError: EXIT_CONFIG,
        DeliveryError: (EXIT_DELIVER, "failed: "),
    }
    with exits("deliver", failures), warehouse_lock(db):
        done = deliver(db, settings)
    sent = "unchanged since the last delivery" if done.unchanged else f"{sum(done.sent.values()):,} sent"
    click.echo(
        f"deliver     {done.destination} {done.dataset}: {done.version}, {sum(done.rows.values()):,} rows "
        f"in {len(done.rows)} tables, {sent} in {done.seconds:.2f}s"
    )
