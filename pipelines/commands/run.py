"""`syncscope run`: load every configured vendor into the warehouse, then build the models."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.anomaly_settings import configured_sensitivity
from pipelines.commands.options import anomaly_sensitivity_option, db_option
from pipelines.jobs import EXIT_LOCKED, RunOutcome, run_all
from pipelines.lock import LockHeld
from pipelines.models import ANOMALY_SENSITIVITY, DEGRADED_BELOW
from pipelines.progress import reporter_for
from pipelines.runner import VENDORS


def execute(
    db: Path,
    vendors: list[str],
    degraded_below: float = DEGRADED_BELOW,
    log_format: str = "text",
    publish: bool = True,
    publish_dir: Path | None = None,
    anomaly_sensitivity: float = ANOMALY_SENSITIVITY,
) -> RunOutcome:
    """Run with progress for the audience at hand; exits the process when the warehouse is locked."""
    reporter = reporter_for(log_format)
    reporter.start(vendors)
    try:
        outcome = run_all(
            db, vendors, degraded_below=degraded_below, on_result=reporter.vendor_done,
            publish=publish, publish_dir=publish_dir, anomaly_sensitivity=anomaly_sensitivity,
        )  # fmt: skip
    except LockHeld as exc:
        reporter.abort()
        click.echo(f"run: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
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
    reporter.finish(outcome.results, outcome.exit_code)
    return outcome


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
@anomaly_sensitivity_option(configured_sensitivity)
def run(
    vendors: tuple[str, ...], db: Path, degraded_below: float, log_format: str, publish_dir: Path | None,
    no_publish: bool, anomaly_sensitivity: float,
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

    \b
    Examples:
      syncscope run
      syncscope run --vendor ai_squared --db /data/syncscope.duckdb
      syncscope run --log-format json >> /var/log/syncscope.jsonl
    """
    outcome = execute(
        db,
        list(vendors or VENDORS),
        degraded_below,
        log_format,
        not no_publish,
        publish_dir,
        anomaly_sensitivity,
    )
    sys.exit(outcome.exit_code)
