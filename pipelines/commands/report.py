"""`syncscope report`: every sync's health in the terminal."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines.report import console, render


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="syncscope.duckdb",
              show_default=True, help="The DuckDB warehouse file.")  # fmt: skip
@click.option("--all", "show_all", is_flag=True, help="Every sync (default: the 50 worst).")
def report(db: Path, show_all: bool) -> None:
    """Sync health, worst first, coloured by health.

    \b
    Examples:
      syncscope report
      syncscope report --db /data/syncscope.duckdb --all
    """
    if not db.exists():
        raise click.UsageError(f"no warehouse at {db}: run `syncscope run` (or `syncscope demo`) first")
    render(db, console(), limit=None if show_all else 50)
