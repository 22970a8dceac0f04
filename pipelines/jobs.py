"""A whole run: every vendor's load, then the models, under the warehouse lock.

Exit codes (documented in the README, relied on by schedulers):
0 all configured vendors loaded and the models built; 2 a setting is wrong, bad usage, or no
vendor is configured at all;
3 every vendor tried failed (unreachable or refused credentials); 4 some vendors loaded, some
failed; 5 another run holds the warehouse; 6 loads went fine but the models failed to build;
7 loads and models went fine but publishing the marts for BI tools failed; 8 the models built
but a data test failed or could not run, so nothing was published.

The data tests (generated key tests and sql/tests/, pipelines/data_tests.py) gate publishing: when
one fails or cannot run, BI tools keep the previous published version untouched, and the run
exits 8 (when no vendor failed, which says more) so bad marts never reach a dashboard silently.

Publishing (pipelines/publish.py) follows every build that passed its tests, still under the
lock. Its failure never undoes the load: the data is in the warehouse, BI tools keep the previous
published version, and the run exits 7 (only when nothing worse happened) so a scheduler still
alerts on a BI copy going stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.data_tests import DataTest, run_tests
from pipelines.lock import warehouse_lock
from pipelines.models import ANOMALY_SENSITIVITY, DEGRADED_BELOW, BuildResult, ModelError, build
from pipelines.publish import Publication, publish_marts
from pipelines.runner import VendorResult, run_vendor

EXIT_OK, EXIT_CONFIG, EXIT_VENDORS_FAILED, EXIT_PARTIAL, EXIT_LOCKED, EXIT_MODELS = 0, 2, 3, 4, 5, 6
EXIT_PUBLISH, EXIT_DATA_TESTS = 7, 8


@dataclass
class RunOutcome:
    results: list[VendorResult] = field(default_factory=list)
    models: BuildResult | None = None
    model_error: str = ""
    tests_passed: int = 0
    failed_tests: list[DataTest] = field(default_factory=list)  # failed or could not run
    publication: Publication | None = None
    publish_error: str = ""

    @property
    def exit_code(self) -> int:
        failed = [r for r in self.results if r.status == "failed"]
        if any(r.error_kind == "config" for r in failed):
            return EXIT_CONFIG
        if failed:
            return EXIT_PARTIAL if any(r.status == "loaded" for r in self.results) else EXIT_VENDORS_FAILED
        if self.results and all(r.status == "skipped" for r in self.results):
            return EXIT_CONFIG  # nothing configured: a scheduler whose secrets vanished must notice
        if self.model_error:
            return EXIT_MODELS
        if self.failed_tests:
            return EXIT_DATA_TESTS
        return EXIT_PUBLISH if self.publish_error else EXIT_OK


def run_all(
    db: Path,
    vendors: list[str],
    as_of: datetime | None = None,
    degraded_below: float = DEGRADED_BELOW,
    on_result: object = None,
    publish: bool = True,
    publish_dir: Path | None = None,
    anomaly_sensitivity: float = ANOMALY_SENSITIVITY,
) -> RunOutcome:
    """Load `vendors` one after another (one failing never stops the others), build, publish.

    `publish_dir` defaults to `<db stem>_published/` beside the warehouse. Raises LockHeld when
    another run holds the warehouse.
    """
    outcome = RunOutcome()
    with warehouse_lock(db):
        for vendor in vendors:
            result = run_vendor(vendor, db)
            outcome.results.append(result)
            if callable(on_result):
                on_result(result)
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
        outcome.tests_passed = len(tests) - len(outcome.failed_tests)
        if publish and not outcome.failed_tests:
            try:
                outcome.publication = publish_marts(db, publish_dir)
            except Exception as exc:  # any failure here must leave the committed load alone
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                outcome.publish_error = f"{first}; BI tools keep the previous version"
    return outcome
