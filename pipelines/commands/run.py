"""`syncscope run`: load every configured vendor into the warehouse, then build the models."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines import logs
from pipelines.anomaly_settings import configured_sensitivity
from pipelines.commands.alert import alert_step
from pipelines.commands.deliver import delivery_settings
from pipelines.commands.options import anomaly_sensitivity_option, db_option
from pipelines.deadline import DEFAULT_TIMEOUT_S, Deadline, watchdog
from pipelines.deliver import DeliverSettings
from pipelines.exit_codes import EXIT_CONFIG, EXIT_DEADLINE, EXIT_HELD, EXIT_LOCKED
from pipelines.lock import LockHeld
from pipelines.models import ANOMALY_SENSITIVITY, DEGRADED_BELOW
from pipelines.progress import reporter_for
from pipelines.run import RunOutcome, run_all
from pipelines.runner import VENDORS
from pipelines.warehouse import WarehouseHeld, WarehousePathError


def execute(
    db: Path,
    vendors: list[str],
    degraded_below: float = DEGRADED_BELOW,
    log_format: str = "text",
    publish: bool = True,
    publish_dir: Path | None = None,
    timeout_s: float | None = None,
    alert: bool = False,
    delivery: DeliverSettings | None = None,
    anomaly_sensitivity: float = ANOMALY_SENSITIVITY,
) -> RunOutcome:
    """Run with progress for the audience at hand; exits the process when the run cannot go on
    (5 locked by another run, 10 file held by another process, 2 bad --db, 9 deadline)."""
    logs.setup(log_format)
    reporter = reporter_for(log_format)
    reporter.start(vendors)
    deadline = Deadline(timeout_s) if timeout_s else None
    outcome = RunOutcome()

    def expired() -> None:
        where = f" while {outcome.current} was loading" if outcome.current in vendors else ""
        if outcome.current == "models":
            where = " while building the models"
        reporter.fatal(
            "run", f"the run's deadline of {timeout_s:g}s passed{where}; stopped", exit_code=EXIT_DEADLINE
        )

    try:
        with watchdog(deadline, expired):
            run_all(
                db, vendors, degraded_below=degraded_below, on_result=reporter.vendor_done,
                publish=publish, publish_dir=publish_dir, deadline=deadline, outcome=outcome,
                delivery=delivery, alert=alert_step(db) if alert else None,
                anomaly_sensitivity=anomaly_sensitivity,
            )  # fmt: skip
    except LockHeld as exc:
        _stop(reporter, str(exc), EXIT_LOCKED)
    except WarehouseHeld as exc:
        _stop(reporter, str(exc), EXIT_HELD)
    except WarehousePathError as exc:
        _stop(reporter, str(exc), EXIT_CONFIG)
    except BaseException:
        reporter.abort()  # never leave a spinner running over a traceback
        raise
    if outcome.model_error:
        reporter.step("models", f"failed: {outcome.model_error}", ok=False)
    elif outcome.models:
        built = outcome.models
        reporter.step("models", f"built {len(built.models)} in {built.seconds:.2f}s", seconds=built.seconds)
    for test in outcome.failed_tests:
        reporter.step(
            "data test", test.report(), ok=False, test=test.name, failures=test.failures,
            error=test.error or None, rows=test.shown_rows(),
        )  # fmt: skip
    for test in outcome.warned_tests:
        reporter.step(
            "data test", f"warning: {test.report()}", test=test.name, failures=test.failures,
            rows=test.shown_rows(), severity="warn",
        )  # fmt: skip
    if outcome.failed_tests:
        failed = len(outcome.failed_tests)
        reporter.step(
            "publish", f"skipped: {failed} data test{'s' if failed > 1 else ''} failed; "
            "BI tools keep the previous version", ok=False,
        )  # fmt: skip
    elif outcome.models and not outcome.model_error:
        reporter.step("tests", f"{outcome.tests_passed} data tests passed", passed=outcome.tests_passed)
    if outcome.publish_error:
        reporter.step("publish", f"failed: {outcome.publish_error}", ok=False)
    elif outcome.publication:
        p = outcome.publication
        reporter.step(
            "publish", f"{len(p.rows)} marts, {sum(p.rows.values()):,} rows in {p.seconds:.2f}s: {p.bi_file}",
            seconds=p.seconds, version=p.version, bi_file=str(p.bi_file),
        )  # fmt: skip
    if outcome.delivery_error:
        reporter.step("deliver", f"failed: {outcome.delivery_error}", ok=False)
    elif delivery and outcome.failed_tests:
        reporter.step("deliver", "skipped: data tests failed; the destination keeps its delivery", ok=False)
    elif outcome.delivery:
        d = outcome.delivery
        sent = "unchanged since the last delivery" if d.unchanged else f"{sum(d.sent.values()):,} rows sent"
        reporter.step(
            "deliver", f"{d.destination} {d.dataset}: {d.version}, {sent} in {d.seconds:.2f}s",
            seconds=d.seconds, version=d.version, sent=d.sent, full=d.full, unchanged=d.unchanged,
        )  # fmt: skip
    if outcome.alert_message:
        reporter.step("alert", outcome.alert_message, ok=outcome.alert_exit == 0)
    reporter.finish(outcome.results, outcome.exit_code)
    return outcome


def _stop(reporter: object, message: str, code: int) -> None:
    reporter.fatal("run", message, exit_code=code)  # type: ignore[attr-defined]
    sys.exit(code)


@click.command()
@click.option("--vendor", "vendors", type=click.Choice(VENDORS), multiple=True,
              help="Only this vendor (repeatable). Default: every configured vendor.")  # fmt: skip
@db_option()
@click.option("--degraded-below", type=click.FloatRange(0, 1), default=DEGRADED_BELOW, show_default=True,
              help="7-day success rate under which a sync is 'degraded'.")  # fmt: skip
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: progress on a terminal, else a line a step; json: an object a line.")  # fmt: skip
@click.option("--publish-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where BI tools read the marts (Parquet + syncscope_bi.duckdb). "
                   "Default: <db stem>_published/ beside --db.")  # fmt: skip
@click.option("--no-publish", is_flag=True, help="Build the marts without publishing them for BI tools.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(0, min_open=True), default=DEFAULT_TIMEOUT_S,
              show_default=True, metavar="SECONDS",
              help="Stop the run (exit 9) when it takes longer; the lock is released.")  # fmt: skip
@click.option("--deliver", "deliver_marts", is_flag=True,
              help="Then deliver the marts to the [deliver] destination (README: Delivery).")  # fmt: skip
@click.option("--alert", is_flag=True, help="Then send alerts ([alerts] settings), when the data tests pass.")
@anomaly_sensitivity_option(configured_sensitivity)
def run(
    vendors: tuple[str, ...], db: Path, degraded_below: float, log_format: str, publish_dir: Path | None,
    no_publish: bool, timeout_s: float, deliver_marts: bool, alert: bool, anomaly_sensitivity: float,
) -> None:  # fmt: skip
    """Load sync telemetry from every configured vendor, build the models, publish them for BI tools.

    Configuration comes from .dlt/config.toml, .dlt/secrets.toml and SOURCES__<VENDOR>__<KEY>
    environment variables; a vendor without credentials is skipped. Safe to schedule: loads are
    incremental and idempotent, and a second run on the same database exits at once. BI tools
    read the published copy (<db stem>_published/syncscope_bi.duckdb), never the warehouse.

    \b
    Exit codes: 0 ok; 2 a setting is wrong; 3 every vendor failed (unreachable/auth);
                4 some vendors failed, others loaded; 5 another run holds the database;
                6 loaded, but the models failed to build;
                7 loaded and built, but publishing for BI tools failed;
                8 built, but a data test failed or could not run: nothing
                  published, BI tools keep the previous version.
                9 the run took longer than --timeout; 10 another process (a reader,
                a BI tool) kept the warehouse file open too long.
                11 (--alert) all went well but an alert destination failed.
                12 (--deliver) all went fine locally, but delivering to the team's
                   warehouse failed.

    \b
    Examples:
      syncscope run
      syncscope run --vendor ai_squared --db /data/syncscope.duckdb
      syncscope run --log-format json >> /var/log/syncscope.jsonl
    """
    delivery = delivery_settings("run") if deliver_marts else None  # checked before any load
    outcome = execute(
        db, list(vendors or VENDORS), degraded_below, log_format, not no_publish, publish_dir, timeout_s,
        alert=alert, delivery=delivery, anomaly_sensitivity=anomaly_sensitivity,
    )  # fmt: skip
    sys.exit(outcome.exit_code)
