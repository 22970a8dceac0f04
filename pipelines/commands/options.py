"""Option parsing shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def iso_time(value: str | None) -> datetime | None:
    """An ISO-8601 time with a time zone (`2026-11-23T09:00:00Z`), or a one-line usage error."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO-8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-11-23T09:00:00Z")
    return moment


def iso_time_option(_: click.Context, __: click.Parameter, value: str | None) -> datetime | None:
    """`iso_time` as a click callback, so an error names the option it came from."""
    return iso_time(value)


def db_option(help_text: str = "The DuckDB warehouse file.") -> Callable[[F], F]:
    """`--db PATH`, the same everywhere a warehouse is used (DESIGN.md: default syncscope.duckdb)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default="syncscope.duckdb",
        show_default=True,
        help=help_text,
    )


def anomaly_sensitivity_option(default: Callable[[], float]) -> Callable[[F], F]:
    """`--anomaly-sensitivity Z` on every command that builds the models (default from config)."""
    return click.option(
        "--anomaly-sensitivity",
        type=click.FloatRange(0, min_open=True),
        default=default,
        show_default="3.0, or [anomalies] sensitivity",
        help="|z| at or above which a run or day is an anomaly (marts.sync_anomalies).",
    )
