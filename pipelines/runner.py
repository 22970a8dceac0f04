"""One vendor's load: its source built from its own settings, run into the DuckDB warehouse.

Each vendor has its own pipeline (own state, own dataset `raw_<vendor>`, pipelines/dlt_setup.py),
so one vendor's failure or schema change never blocks another's load. The vendor's settings are
its package's business (`sources/<vendor>/settings.py`): read here through that object only, so
this module knows no vendor's keys. The result is a `VendorResult` with a one-line message.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.dlt_setup import SettingError, pipeline_for, release_memory_after, state_dir
from pipelines.failures import failure_line, root_cause
from pipelines.quarantine import move_aside
from pipelines.redact import lock_down, register, scrub, scrub_exception
from pipelines.rejected import describe, write_rejected
from pipelines.vendors import VENDORS as VENDORS  # re-exported: settings_docs, run, demo, tests
from pipelines.warehouse import (
    WarehouseHeld,
    busy_timeout,
    held_message,
    lock_conflict_in,
    patient_connections,
)
from sources.http import AuthError, ConfigError, DeadlineExceeded, VendorError, close_clients, stats_for
from sources.settings import NotConfigured, SettingInvalid, VendorSettings
from sources.validate import sink_for


@dataclass
class VendorResult:
    vendor: str
    status: str  # loaded | skipped | failed
    message: str = ""
    error_kind: str = ""  # for failures: config | auth | unreachable | error
    rows: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # rows set aside, a package moved aside


def _source_factory(vendor: str) -> Callable[..., object]:
    """`sources.<vendor>.<vendor>`: every vendor package exposes its source under its own name."""
    try:
        module = importlib.import_module(f"sources.{vendor}")
    except ModuleNotFoundError as exc:
        if exc.name != f"sources.{vendor}":
            raise
        raise NotConfigured(f"{vendor}: no source installed; skipped") from None
    return getattr(module, vendor)


def settings_for(vendor: str) -> type[VendorSettings]:
    """`sources.<vendor>.settings.SETTINGS`: the vendor's own declaration of its settings."""
    return importlib.import_module(f"sources.{vendor}.settings").SETTINGS


def build_source(vendor: str) -> object:
    """The vendor's source, its pinned settings read from their own keys and checked first.

    Secrets are registered for masking as soon as they are read. Raises NotConfigured,
    SettingInvalid, or what dlt and the source raise while building (ConfigurationException,
    AuthError, VendorError).
    """
    factory = _source_factory(vendor)
    return factory(**settings_for(vendor).resolve(on_secret=register))


def run_vendor(vendor: str, db: Path) -> VendorResult:
    """Load one vendor. Raises WarehouseHeld when another process keeps the warehouse file open
    (not the vendor's fault: the run stops with its own exit code); every other problem is a
    failed VendorResult with a one-line message."""
    sink_for(vendor).drain()  # nothing left over from an earlier load in this process
    try:
        result = _run_vendor(vendor, db)
    finally:
        close_clients(vendor)
        lock_down(state_dir(db))
    rejected = sink_for(vendor).drain()
    if rejected:
        write_rejected(db, vendor, rejected)
        result.warnings.append(describe(vendor, rejected))
    return result


def _run_vendor(vendor: str, db: Path) -> VendorResult:
    started = time.perf_counter()
    stats = stats_for(vendor)
    stats.reset()
    try:
        source = build_source(vendor)
    except (NotConfigured, ConfigFieldMissingException) as exc:
        return VendorResult(vendor, "skipped", _not_configured(vendor, exc))
    except SettingInvalid as exc:
        return VendorResult(vendor, "failed", f"{vendor}: {exc}", "config")
    except ConfigurationException as exc:  # a setting dlt cannot coerce, e.g. a word for a number
        return VendorResult(vendor, "failed", scrub(f"{vendor}: {str(exc).splitlines()[0]}"), "config")
    except AuthError as exc:  # raised while building the source: no credentials at all
        return VendorResult(vendor, "skipped", scrub(str(exc)))
    except VendorError as exc:
        return VendorResult(vendor, "failed", scrub(str(exc)), _kind(exc))
    try:
        pipeline = pipeline_for(vendor, db)
    except SettingError as exc:
        return VendorResult(vendor, "failed", f"{vendor}: {exc}", "config")
    warnings: list[str] = []
    try:
        with patient_connections(busy_timeout()):
            pipeline = _finish_pending(pipeline, vendor, db, warnings)
            # the load step's peak sits on what the extract leaves allocated
            release_memory_after(pipeline.extract(source))
            pipeline.run()  # normalizes and loads what the extract wrote
    except Exception as exc:
        scrub_exception(exc)
        _raise_if_held(exc, db)
        cause = root_cause(exc)
        message = failure_line(vendor, exc)
        logging.getLogger("syncscope").debug("load failed", exc_info=exc)
        moved = _move_aside_if_poisoned(pipeline, exc)
        if moved:
            warnings.append(_moved_message(vendor, moved))
        return VendorResult(
            vendor, "failed", scrub(message), _kind(cause), {},
            stats.requests, stats.retries, _since(started), warnings,
        )  # fmt: skip
    normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    rows = {
        t: n for t, n in (normalized.row_counts if normalized else {}).items() if not t.startswith("_dlt")
    }
    return VendorResult(
        vendor, "loaded", "", "", rows, stats.requests, stats.retries, _since(started), warnings
    )


def _finish_pending(pipeline: dlt.Pipeline, vendor: str, db: Path, warnings: list[str]) -> dlt.Pipeline:
    """Without data, run() restores state from the warehouse when the local copy is gone and
    finishes a package a killed run left behind; dlt's run(source) would finish only that one and
    skip this poll (for Timbal, a skipped poll can lose history). A leftover package the warehouse
    refuses is moved aside, and this run goes on from the state the warehouse holds."""
    try:
        pipeline.run()
        return pipeline
    except Exception as exc:
        scrub_exception(exc)
        _raise_if_held(exc, db)
        moved = _move_aside_if_poisoned(pipeline, exc)
        if moved is None:
            raise
        warnings.append(_moved_message(vendor, moved))
    pipeline = pipeline_for(vendor, db)
    pipeline.run()  # restores state from the warehouse
    return pipeline


def _raise_if_held(exc: BaseException, db: Path) -> None:
    conflict = lock_conflict_in(exc)
    if conflict is None:
        return
    if isinstance(conflict, WarehouseHeld):
        raise WarehouseHeld(str(conflict)) from None
    raise WarehouseHeld(held_message(db, conflict, busy_timeout())) from None


def _move_aside_if_poisoned(pipeline: dlt.Pipeline, exc: BaseException) -> Path | None:
    """Move the working folder aside when a package failed in normalize or load (dlt would retry
    it forever); an extract failure leaves no package behind and needs nothing."""
    step = exc.step if isinstance(exc, PipelineStepFailed) else None
    if step not in ("normalize", "load"):
        return None
    pipeline_dir = Path(pipeline.working_dir)
    return move_aside(pipeline_dir)


def _moved_message(vendor: str, moved: Path) -> str:
    return (
        f"{vendor}: a load package the warehouse refused was moved aside to {moved}; "
        "its rows are read from the vendor again"
    )


def _kind(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, DeadlineExceeded):
        return "deadline"
    if isinstance(exc, AuthError):
        return "auth"
    if isinstance(exc, VendorError):
        return "unreachable"
    return "error"


def _not_configured(vendor: str, exc: Exception) -> str:
    if isinstance(exc, ConfigFieldMissingException):
        return f"{vendor}: not configured ({', '.join(exc.fields)} missing); skipped"
    return str(exc)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
