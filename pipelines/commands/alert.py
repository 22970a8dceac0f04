"""`syncscope alert`: tell Slack, PagerDuty and webhooks what changed since they were last told."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click
import duckdb

from pipelines.alerts.config import AlertConfig, AlertConfigError, load_config
from pipelines.alerts.engine import EXIT_CONFIG, EXIT_HELD, AlertOutcome, WarehouseNotReady, run_alerts
from pipelines.alerts.messages import as_json, line
from pipelines.commands.exits import exits
from pipelines.commands.options import db_option
from pipelines.lock import LockHeld, warehouse_lock

NO_DESTINATION = (
    "set alerts.slack.webhook_url, alerts.pagerduty.routing_key, alerts.webhook.url or alerts.email.host "
    "(README: Alerts)"
)


def alert_outcome(db: Path, config: AlertConfig, dry_run: bool = False) -> tuple[AlertOutcome | None, str]:
    """Run alerts under no lock of its own (the caller holds it); (outcome, one-line error)."""
    try:
        return run_alerts(db, config, dry_run=dry_run), ""
    except WarehouseNotReady as exc:
        return None, str(exc)
    except duckdb.Error as exc:
        return None, f"cannot use {db}: {str(exc).splitlines()[0]}"


def alert_step(db: Path) -> Callable[[], tuple[int, str]]:
    """`run --alert`'s last step (the run holds the lock): (exit code, one line for the log)."""

    def step() -> tuple[int, str]:
        try:
            config = load_config()
        except AlertConfigError as exc:
            return EXIT_CONFIG, f"failed: {exc}"
        if not config.destinations:
            return EXIT_CONFIG, f"failed: no destination configured: {NO_DESTINATION}"
        outcome, error = alert_outcome(db, config)
        if outcome is None:
            return EXIT_CONFIG, f"failed: {error}"
        parts = []
        for name, items in outcome.transitions.items():
            failed = [
                r.delivery.error for r in outcome.requests if r.destination.name == name and not r.delivery.ok
            ]
            parts.append(f"{name} failed: {failed[0]}" if failed else f"{name} sent {len(items)}")
        return outcome.exit_code, "; ".join(parts) if any(outcome.transitions.values()) else "nothing to send"

    return step


def echo_outcome(outcome: AlertOutcome, as_json_output: bool, prefix: str = "") -> None:
    """What was (or would be) sent: one line per destination and transition; or one JSON object."""
    if as_json_output:
        click.echo(json.dumps(to_json(outcome), ensure_ascii=False, default=str))
        return
    if not outcome.transitions or not any(outcome.transitions.values()):
        muted = f" ({outcome.muted} muted syncs)" if outcome.muted else ""
        summary = outcome.fleet.line() if outcome.fleet else ""
        click.echo(f"{prefix}nothing to send{muted}: {summary}")
        return
    for name, items in outcome.transitions.items():
        requests = [r for r in outcome.requests if r.destination.name == name]
        failed = [r.delivery.error for r in requests if r.delivery and not r.delivery.ok]
        if outcome.dry_run:
            status = f"would send {len(items)}"
        elif failed:
            status = f"failed: {failed[0]}"
        else:
            status = f"sent {len(items)}"
        click.echo(f"{prefix}{name:<10} {status}")
        if outcome.dry_run:
            for t in items:
                click.echo(f"{prefix}  {line(t)}")


def _redacted(body: dict) -> dict:
    return {k: ("***" if k == "routing_key" else v) for k, v in body.items()}


def to_json(outcome: AlertOutcome) -> dict:
    destinations = {}
    for name, items in outcome.transitions.items():
        requests = [r for r in outcome.requests if r.destination.name == name]
        errors = [r.delivery.error for r in requests if r.delivery and not r.delivery.ok]
        entry: dict = {"transitions": [as_json(t) for t in items]}
        if outcome.dry_run:
            entry["payloads"] = [_redacted(r.body) for r in requests]
        else:
            entry["sent"] = all(r.delivery.ok for r in requests)
            entry["errors"] = errors
        destinations[name] = entry
    return {
        "as_of": outcome.as_of.isoformat() if outcome.as_of else None,
        "dry_run": outcome.dry_run,
        "fleet": outcome.fleet.line() if outcome.fleet else None,
        "muted_syncs": outcome.muted,
        "destinations": destinations,
        "exit_code": 0 if outcome.dry_run else outcome.exit_code,
    }


@click.command("alert")
@db_option()
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing, change nothing.")
@click.option("--json", "as_json_output", is_flag=True,
              help="Print one JSON object (with --dry-run: the payloads).")  # fmt: skip
@click.option("--min-success-rate", type=click.FloatRange(0, 1), default=None,
              help="Lowest acceptable 7-day success rate. [default: config, else 0.9]")  # fmt: skip
@click.option("--max-staleness-factor", type=click.FloatRange(0), default=None,
              help="Most time since success, in expected intervals. [default: 2]")  # fmt: skip
@click.option("--max-failing-streak", type=click.IntRange(0), default=None,
              help="Most consecutive failed runs. [default: 3]")  # fmt: skip
@click.option("--max-failed-record-share", type=click.FloatRange(0, 1), default=None,
              help="Most failed records in a sync's last run, as a share. [default: 0.1]")  # fmt: skip
@click.option("--remind-after", default=None,
              help="Remind of a breach still open after this long (4h, 1d; off).")  # fmt: skip
def alert_command(db: Path, dry_run: bool, as_json_output: bool, **flags: object) -> None:
    """Send only what changed: a sync entering breach, a breach getting worse, a recovery.

    Rules and destinations come from [alerts] in .dlt/config.toml and the secrets
    ALERTS__SLACK__WEBHOOK_URL, ALERTS__PAGERDUTY__ROUTING_KEY, ALERTS__WEBHOOK__URL (README
    "Alerts"). State lives in the warehouse (schema alerts), so a re-run sends nothing twice.

    \b
    Exit codes: 0 every destination got its message (or nothing to send);
                2 a setting is wrong, or the warehouse has no marts;
                10 another process holds the warehouse;
                11 a destination failed (the others still got theirs; the next run retries).

    \b
    Examples:
      syncscope alert
      syncscope alert --dry-run --json | jq '.destinations.slack.payloads'
      syncscope run --alert          # load, build, test, then alert
    """
    if not db.exists():
        raise click.UsageError(f"no warehouse at {db}: run `syncscope run` first")
    with exits("alert", {AlertConfigError: EXIT_CONFIG}):
        config = load_config(flags)
    if not config.destinations and not dry_run:
        click.echo(f"alert: no destination configured: {NO_DESTINATION}", err=True)
        sys.exit(EXIT_CONFIG)
    with exits("alert", {LockHeld: EXIT_HELD}), warehouse_lock(db):
        outcome, error = alert_outcome(db, config, dry_run=dry_run)
    if outcome is None:
        click.echo(f"alert: {error}", err=True)
        sys.exit(EXIT_CONFIG)
    echo_outcome(outcome, as_json_output)
    sys.exit(0 if dry_run else outcome.exit_code)
