"""A whole run: every vendor's load, then the models, under the warehouse lock.

Exit codes (documented in the README, relied on by schedulers):
0 all configured vendors loaded and the models built; 2 a setting is wrong, bad usage, or no
vendor is configured at all;
3 every vendor tried failed (unreachable or refused credentials); 4 some vendors loaded, some
failed; 5 another run holds the warehouse; 6 loads went fine but the models failed to build;
7 loads and models went fine but publishing the marts for BI tools failed.

Publishing (pipelines/publish.py) follows every successful build, still under the lock. Its
failure never undoes the load: the data is in the warehouse, BI tools keep the previous published
version, and the run exits 7 (only when nothing worse happened) so a scheduler still alerts on a
BI copy going stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.lock import warehouse_lock
from pipelines.models import (
    ANOMALY_SENSITIVITY,
    DEGRADED_BELOW,
    BuildResult,
    DataTest,
    ModelError,
    build,
    run_tests,
)
from pipelines.publish import Publication, publish_marts
from pipelines.runner import VendorResult, run_vendor

EXIT_OK, EXIT_CONFIG, EXIT_VENDORS_FAILED, EXIT_PARTIAL, EXIT_LOCKED, EXIT_MODELS = 0, 2, 3, 4, 5, 6
EXIT_PUBLISH = 7


@dataclass
class RunOutcome:
    results: list[VendorResult] = field(default_factory=list)
    models: BuildResult | None = None
    model_error: str = ""
    failed_tests: list[DataTest] = field(default_factory=list)
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
        outcome.failed_tests = [t for t in run_tests(db) if t.failures]
        if publish:
            try:
                outcome.publication = publish_marts(db, publish_dir)
            except Exception as exc:  # any failure here must leave the committed load alone
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                outcome.publish_error = f"{first}; BI tools keep the previous version"
    return outcome
