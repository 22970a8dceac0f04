"""Anomalies as a reader meets them: the terminal report's list and the HTML table and chart marks."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from rich.console import Console

from pipelines.html_report import write_html
from pipelines.models import build
from pipelines.report import render
from tests.models.test_anomaly_edge_cases import AS_OF, warehouse  # noqa: F401  (fixture)

DROP = "rows synced 10 vs usual 1,000 ×/÷ 1.05 over 20 runs (z -92.1)"
RATE = "rows/s 0.167 vs usual 16.7 ×/÷ 1.05 over 20 runs (z -92.1)"
NAME = "s: S → D"
QUIET = "runs per day 0 vs usual 1 ± 0.2 over 13 days (z -5.0)"


def test_terminal_report_lists_the_last_24_hours(warehouse: Path) -> None:  # noqa: F811
    build(warehouse, as_of=AS_OF, sensitivity_overrides={})
    console = Console(width=200, no_color=True, record=True)
    render(warehouse, console)
    text = console.export_text()
    assert "2 anomalies in the last 24 h, newest first:" in text
    assert f"11-21 10:01 ai_squared/6: {DROP}" in text and f"11-21 10:01 ai_squared/6: {RATE}" in text
    assert QUIET not in text, "a day from last week is not among the last 24 h"


def test_html_page_tables_the_latest_and_marks_their_days(warehouse: Path, tmp_path: Path) -> None:  # noqa: F811
    build(warehouse, as_of=AS_OF, sensitivity_overrides={})
    page = write_html(warehouse, tmp_path / "page.html").read_text()
    table = re.search(r"<table class='anomalies'>.*?</table>", page, re.S).group(0)
    rows = [unescape(re.sub(r"<[^>]+>", "|", row)) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert [re.sub(r"\|+", "|", r).strip("|") for r in rows] == [  # newest first, then by metric
        f"2026-11-21 10:01|AI Squared|{NAME}|6|drop|{RATE}|rows_per_s · 6021",
        f"2026-11-21 10:01|AI Squared|{NAME}|6|drop|{DROP}|rows_synced · 6021",
        f"2026-11-16 00:00|AI Squared|{NAME}|7|drop|{QUIET}|runs_per_day · 2026-11-15",
    ]
    marks = [unescape(t) for t in re.findall(r'<path class="anomaly"[^>]*><title>(.*?)</title>', page)]
    assert marks == [f"1 anomaly: {NAME}: {QUIET}", f"2 anomalies: {NAME}: {RATE}; {NAME}: {DROP}"]
