"""`syncscope report`: every sync's health in the terminal, or as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import click
import duckdb

from pipelines.commands.exits import exits
from pipelines.commands.options import db_option
from pipelines.exit_codes import EXIT_HELD
from pipelines.report import console, render
from pipelines.terminal import plain
from pipelines.warehouse import WarehouseHeld, WarehousePathError
from pipelines.warehouse_reads import WarehouseUnreadable


@click.command()
@db_option()
@click.option("--all", "show_all", is_flag=True, help="Every sync (default: the 50 worst).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a self-contained HTML page (charts included, opens offline) instead.")  # fmt: skip
def report(db: Path, show_all: bool, html_file: Path | None) -> None:
    """Sync health, worst first, coloured by health.

    \b
    Examples:
      syncscope report
      syncscope report --db /data/syncscope.duckdb --all
      syncscope report --html health.html          # then open health.html in a browser
    """
    if not db.exists():
        raise click.UsageError(f"no warehouse at {db}: run `syncscope run` (or `syncscope demo`) first")
    limit = None if show_all else 50
    unreadable = (WarehouseUnreadable, WarehousePathError, duckdb.Error)
    # WarehouseHeld: a run is writing and kept the file longer than warehouse.busy_timeout_seconds
    with exits("report", {unreadable: 2, WarehouseHeld: EXIT_HELD}, text=_first_line):
        if html_file is None:
            render(db, console(), limit=limit)
            return
        from pipelines.html_report import write_html  # numpy and the charts: for --html only

        click.echo(write_html(db, html_file, limit=limit).resolve())


def _first_line(exc: BaseException) -> str:
    return plain((str(exc).splitlines() or [""])[0])
