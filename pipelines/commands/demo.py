"""`syncscope demo`: the whole flow on simulated vendors, with no configuration at all."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import duckdb

from pipelines.commands.options import db_option
from pipelines.commands.run import execute
from pipelines.dlt_setup import state_dir
from pipelines.report import console, render
from pipelines.runner import VENDORS
from pipelines.warehouse_reads import tables_present
from sandbox.config import SIZES, WorldConfig
from sandbox.service import Sandbox

MARKER = "meta.demo_marker"


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """The sandbox's SOURCES__... variables for the duration of the demo, then the old ones."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def fresh_demo_database(db: Path) -> None:
    """A demo's world is new each time, so its warehouse must be too; never touch another one."""
    if db.exists():
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                made_by_demo = bool(tables_present(con, "meta", ["demo_marker"]))
        except duckdb.Error:
            made_by_demo = False
        if not made_by_demo:
            raise click.UsageError(f"{db} exists and was not made by the demo; pass --db another.duckdb")
        db.unlink()
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(state_dir(db), ignore_errors=True)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists meta")
        con.execute(f"create table {MARKER} as select current_timestamp as created_at")


@click.command()
@db_option("The demo warehouse (replaced by each demo).")
@click.option("--seed", default=42, show_default=True, help="Sandbox world seed.")
@click.option("--size", type=click.Choice(list(SIZES)), default="default", show_default=True,
              help="Sandbox world size.")  # fmt: skip
def demo(db: Path, seed: int, size: str) -> None:
    """Start the sandbox, load all three vendors, build the models and print the report.

    Needs no configuration: the simulated vendors run on loopback for the demo's duration.

    \b
    Examples:
      syncscope demo
      syncscope demo --db /tmp/demo.duckdb --seed 7
    """
    started = time.perf_counter()
    fresh_demo_database(db)
    config = WorldConfig.sized(size, seed=seed)
    click.echo(f"sandbox: {config.syncs} syncs per vendor, {config.days} days of history (seed {seed})")
    with Sandbox(config) as box, environment(box.env()):
        outcome = execute(db, list(VENDORS))
    out = console()
    out.print()
    render(db, out, limit=25)
    out.print(f"\nDone in {time.perf_counter() - started:.0f}s. Next:")
    out.print(f"  syncscope report --db {db} --html health.html   the same, with charts, in a browser")
    out.print(f"  syncscope report --db {db} --all                every sync's health")
    out.print(f"  syncscope check --db {db}                       exit 1 when a sync breaches a threshold")
    if outcome.publication:
        bi_file = outcome.publication.bi_file
        out.print(f'  duckdb -readonly {bi_file} "select * from marts.sync_health"   what BI tools read')
    sys.exit(outcome.exit_code)
