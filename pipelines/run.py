"""A whole run: every vendor's load (pipelines/runner.py), then the models, under the warehouse lock.

Steps in order, each only when the one before allows it: load each vendor (one failing never
stops the others), build the models, run the data tests, publish, deliver, alert. The exit code
(pipelines/exit_codes.py) says which step went wrong.

The data tests (generated key tests and sql/tests/, pipelines/data_tests.py) gate publishing: when
one fails or cannot run, BI tools keep the previous published version untouched, and the run
exits 8 (when no vendor failed, which says more) so bad marts never reach a dashboard silently.

Publishing (pipelines/publish.py) follows every build that passed its tests, still under the
lock. Its failure never undoes the load: the data is in the warehouse, BI tools keep the previous
published version, and the run exits 7 (only when nothing worse happened) so a scheduler still
alerts on a BI copy going stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.data_tests import DataTest, run_tests
from pipelines.deadline import Deadline
from pipelines.deliver import DeliverSettings, Delivery, deliver
from pipelines.exit_codes import (
    EXIT_CONFIG,
    EXIT_DATA_TESTS,
    EXIT_DEADLINE,
    EXIT_DELIVER,
    EXIT_MODELS,
    EXIT_PARTIAL,
    EXIT_PUBLISH,
    EXIT_VENDORS_FAILED,
)
from pipelines.lock import warehouse_lock
from pipelines.models import ANOMALY_SENSITIVITY, DEGRADED_BELOW, BuildResult, ModelError, build
from pipelines.publish import Publication, publish_marts
from pipelines.runner import VendorResult, run_vendor
from pipelines.warehouse import WarehouseHeld, check_path
from sources.http import set_deadline

__all__ = ["RunOutcome", "run_all"]


@dataclass
class RunOutcome:
    results: list[VendorResult] = field(default_factory=list)
    models: BuildResult | None = None
    model_error: str = ""
    tests_passed: int = 0
    failed_tests: list[DataTest] = field(default_factory=list)  # failed or could not run
    warned_tests: list[DataTest] = field(default_factory=list)  # `severity: warn` tests with rows
    publication: Publication | None = None
    publish_error: str = ""
    current: str = ""  # the vendor (or step) in progress, for the deadline's message
    alert_exit: int = 0  # `run --alert`: 0, 2 (alert settings) or 11 (a destination failed)
    alert_message: str = ""
    delivery: Delivery | None = None
    delivery_error: str = ""

    @property
    def exit_code(self) -> int:
        failed = [r for r in self.results if r.status == "failed"]
        if any(r.error_kind == "config" for r in failed):
            return EXIT_CONFIG
        if any(r.error_kind == "deadline" for r in failed):
            return EXIT_DEADLINE
        if failed:
            return EXIT_PARTIAL if any(r.status == "loaded" for r in self.results) else EXIT_VENDORS_FAILED
        if self.results and all(r.status == "skipped" for r in self.results):
            return EXIT_CONFIG  # nothing configured: a scheduler whose secrets vanished must notice
        if self.model_error:
            return EXIT_MODELS
        if self.failed_tests:
            return EXIT_DATA_TESTS
        if self.publish_error:
            return EXIT_PUBLISH
        return EXIT_DELIVER if self.delivery_error else self.alert_exit


def run_all(
    db: Path,
    vendors: list[str],
    as_of: datetime | None = None,
    degraded_below: float = DEGRADED_BELOW,
    on_result: object = None,
    publish: bool = True,
    publish_dir: Path | None = None,
    deadline: Deadline | None = None,
    outcome: RunOutcome | None = None,
    alert: Callable[[], tuple[int, str]] | None = None,
    delivery: DeliverSettings | None = None,
    anomaly_sensitivity: float = ANOMALY_SENSITIVITY,
) -> RunOutcome:
    """Load `vendors` one after another (one failing never stops the others), build, publish.

    `publish_dir` defaults to `<db stem>_published/` beside the warehouse. Raises LockHeld when
    another run holds the warehouse, WarehouseHeld when another process keeps the file open,
    WarehousePathError when `db` cannot be a warehouse. A vendor not started by `deadline` is
    not started (the models are not built either: the run exits 9). `alert`
    (pipelines/commands/alert.py) runs last, still under the lock, only when the models built
    and their data tests passed.
    """
    outcome = outcome or RunOutcome()
    check_path(db)
    with warehouse_lock(db):
        for vendor in vendors:
            if deadline is not None and deadline.expired():
                late = f"{vendor}: not started: the run's deadline of {deadline.seconds:g}s passed"
                result = VendorResult(vendor, "failed", late, "deadline")
            else:
                outcome.current = vendor
                # Every request of the vendor fails at the deadline too (sources/http/deadline.py),
                # so a slow vendor ends with its own line before the watchdog has to stop the process.
                set_deadline(vendor, None if deadline is None else deadline.ends)
                try:
                    result = run_vendor(vendor, db)
                finally:
                    set_deadline(vendor, None)
            outcome.results.append(result)
            if callable(on_result):
                on_result(result)
        if any(r.error_kind == "deadline" for r in outcome.results):
            return outcome
        outcome.current = "models"
        try:
            outcome.models = build(
                db, as_of=as_of, degraded_below=degraded_below, anomaly_sensitivity=anomaly_sensitivity
            )
        except ModelError as exc:
            outcome.model_error = str(exc)
            return outcome
        try:
            tests = run_tests(db)
        except ModelError as exc:  # the warehouse could not be opened for the tests
            tests = [DataTest("data tests", error=str(exc))]
        outcome.failed_tests = [t for t in tests if t.failed]
        outcome.warned_tests = [t for t in tests if t.warned]
        outcome.tests_passed = len(tests) - len(outcome.failed_tests)
        if publish and not outcome.failed_tests:
            try:
                outcome.publication = publish_marts(db, publish_dir)
            except WarehouseHeld:
                raise  # its own exit code (10), not a publishing failure
            except Exception as exc:  # any failure here must leave the committed load alone
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                outcome.publish_error = f"{first}; BI tools keep the previous version"
        if delivery and not outcome.failed_tests:  # only marts whose data tests passed leave the machine
            try:
                outcome.delivery = deliver(db, delivery)
            except Exception as exc:  # the local load and the BI copy stay; the next run delivers
                outcome.delivery_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if alert is not None and not outcome.failed_tests:
            outcome.alert_exit, outcome.alert_message = alert()
        elif alert is not None:
            outcome.alert_message = "skipped: a data test failed, so the marts are not trusted"
    return outcome
