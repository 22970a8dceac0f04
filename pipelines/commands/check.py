"""`syncscope check`: exit 1 when a sync breaches a threshold, for alerting tools."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
import dlt

from pipelines.check import Thresholds, check
from pipelines.commands.exits import exits
from pipelines.commands.options import db_option
from pipelines.exit_codes import EXIT_HELD
from pipelines.terminal import plain
from pipelines.warehouse import WarehouseHeld, WarehousePathError
from pipelines.warehouse_reads import WarehouseUnreadable


def _configured(name: str, kind: type, fallback: float | None) -> object:
    """A threshold's default: `[check] <name>` in .dlt/config.toml (or CHECK__<NAME>), else built in."""

    def default() -> object:
        value = dlt.config.get(f"check.{name}", kind)
        return fallback if value is None else value

    return default


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@click.command("check")
@db_option()
@click.option("--min-success-rate", type=click.FloatRange(0, 1),
              default=_configured("min_success_rate", float, Thresholds.min_success_rate),
              show_default=True, help="Lowest acceptable 7-day success rate.")  # fmt: skip
@click.option("--max-staleness-factor", type=click.FloatRange(0),
              default=_configured("max_staleness_factor", float, Thresholds.max_staleness_factor),
              show_default=True, help="Most time since success, in expected intervals.")  # fmt: skip
@click.option("--max-failing-streak", type=click.IntRange(0),
              default=_configured("max_failing_streak", int, Thresholds.max_failing_streak),
              show_default=True, help="Most consecutive failed runs.")  # fmt: skip
@click.option("--max-anomalies", type=click.IntRange(0),
              default=_configured("max_anomalies", int, None),
              show_default="not checked", help="Most anomalies per sync in the last 24 h.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the breaches as JSON.")
def check_command(
    db: Path, min_success_rate: float, max_staleness_factor: float, max_failing_streak: int,
    max_anomalies: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Exit 1 and list the syncs that breach a threshold; exit 0 when none does; 2 when the
    warehouse cannot be read; 10 when a run keeps it open longer than
    warehouse.busy_timeout_seconds (a run's writes take seconds; check waits for them).

    \b
    Examples:
      syncscope check
      syncscope check --min-success-rate 0.95 --max-failing-streak 1
      syncscope check --max-anomalies 0        # any anomaly in the last 24 h breaches
      syncscope check --json | jq '.breaches[].sync_id'
    """
    if not db.exists():
        raise click.UsageError(f"no warehouse at {db}: run `syncscope run` first")
    limits = Thresholds(min_success_rate, max_staleness_factor, max_failing_streak, max_anomalies)
    unreadable = (WarehouseUnreadable, WarehousePathError)  # exit 2, not 1: that reads as breaches
    with exits("check", {unreadable: 2, WarehouseHeld: EXIT_HELD}, text=plain):
        rows, found = check(db, limits)
    if as_json:
        keys = ("vendor", "sync_id", "sync_name", "health", "success_rate_7d", "seconds_since_success",
                "staleness_s", "expected_interval_s", "consecutive_failures", "open_anomalies",
                "reasons")  # fmt: skip
        payload = {
            "as_of": rows[0]["as_of"] if rows else None,
            "checked": len(rows),
            "thresholds": limits.__dict__,
            "breaches": [{k: b.get(k) for k in keys} for b in found],
        }
        click.echo(json.dumps(payload, default=_json_default, ensure_ascii=False))
    else:
        for breach in found:
            name = plain(breach["sync_name"] or breach["sync_id"])  # vendor text: no escapes reach a tty
            where = f"{plain(breach['vendor'])}/{plain(breach['sync_id'])}"
            click.echo(f"{where} ({name}): {'; '.join(breach['reasons'])}")
        click.echo(
            f"{len(found)} of {len(rows)} syncs breach a threshold" if found else f"all {len(rows)} syncs ok"
        )
    sys.exit(1 if found else 0)
