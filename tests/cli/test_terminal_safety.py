"""Issue 13, case 9: vendor strings never act as rich markup or terminal control sequences."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import duckdb
from rich.console import Console

from pipelines.progress import Reporter, TerminalReporter
from pipelines.runner import VendorResult
from tests.cli.test_run_and_check import syncscope

CLEAR, TITLE = "\x1b[2J", "\x1b]0;pwned\x07"
NAMES = {"s1": "orders [/archive]", "s2": "legacy [v1]", "s3": f"evil{CLEAR}{TITLE}\rname"}


def hostile_warehouse(db: Path) -> None:
    """marts.sync_health with the columns report and check read, three failing syncs."""
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.sync_health (as_of timestamptz, health varchar, vendor varchar, "
            "sync_id varchar, sync_name varchar, success_rate_7d double, success_rate_30d double, "
            "runs_7d bigint, seconds_since_success double, staleness_s double, expected_interval_s bigint, "
            "consecutive_failures bigint, duration_p50_s double, duration_p95_s double)"
        )
        for sync_id, name in NAMES.items():
            con.execute(
                "insert into marts.sync_health values ('2026-11-18T00:00:00Z', 'failing', 'timbal', ?, ?, "
                "0.5, 0.5, 10, 60, 60, 3600, 5, 1.0, 2.0)",
                [sync_id, name],
            )


def test_report_and_check_print_vendor_names_literally_without_escapes(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    hostile_warehouse(db)
    report = syncscope("report", "--db", str(db))
    assert report.returncode == 0, report.stderr
    for shown in ("orders [/archive]", "legacy [v1]", "evil name"):
        assert shown in report.stdout
    check = syncscope("check", "--db", str(db))
    assert check.returncode == 1
    assert check.stdout.splitlines()[:3] == [
        f"timbal/{sync_id} ({name}): success rate 7d 50.0% < 90.0%; 5 failed runs in a row > 3"
        for sync_id, name in {**NAMES, "s3": "evil name"}.items()
    ]
    for output in (report.stdout, check.stdout, report.stderr, check.stderr):
        assert "\x1b" not in output and "\r" not in output and "\x07" not in output


def test_a_vendor_error_body_with_markup_and_escapes_prints_literally_on_a_terminal() -> None:
    message = f"timbal: HTTP 400 from /syncs: [/] [bold]x{CLEAR}{TITLE}"
    failed = VendorResult("timbal", "failed", message, "error")
    screen = io.StringIO()
    reporter = TerminalReporter()
    reporter.console = Console(file=screen, force_terminal=True, width=200)
    reporter.start(["timbal"])
    reporter.vendor_done(failed)
    reporter.finish([failed], 3)
    shown = screen.getvalue()
    assert "timbal: HTTP 400 from /syncs: [/] [bold]x" in shown
    assert CLEAR not in shown and TITLE not in shown

    plain = io.StringIO()
    with contextlib.redirect_stdout(plain):
        Reporter().vendor_done(failed)
    assert plain.getvalue() == "timbal      failed: timbal: HTTP 400 from /syncs: [/] [bold]x\n"
