"""How a run reports itself: a live spinner on a terminal, one line per step otherwise, or JSON.

Schedulers and log shippers read the plain or JSON lines; a person at a terminal gets a live
status (which vendor, how many requests so far) and a summary table at the end. Every form
carries the same facts: per vendor rows loaded, requests, retries and duration.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.runner import VendorResult
from pipelines.terminal import markup, plain, plain_lines
from sources.http import stats_for


def result_line(result: VendorResult) -> str:
    """One line per vendor; the message (vendor text inside) made printable."""
    if result.status != "loaded":
        return f"{result.vendor:<11} {result.status}: {plain(result.message)}"
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(result.rows.items())) or "no new rows"
    return (
        f"{result.vendor:<11} loaded in {result.seconds:.1f}s: {rows} "
        f"({result.requests:,} requests, {result.retries:,} retries)"
    )


class Reporter:
    """Plain text: one line per finished step, on stdout; problems on stderr."""

    def start(self, vendors: list[str]) -> None:
        self.vendors = vendors

    def vendor_done(self, result: VendorResult) -> None:
        print(result_line(result), flush=True)
        for warning in result.warnings:
            print(f"{result.vendor:<11} warning: {plain(warning)}", file=sys.stderr, flush=True)

    def step(self, name: str, message: str, ok: bool = True, **fields: object) -> None:
        print(f"{name:<11} {plain_lines(message)}", file=sys.stdout if ok else sys.stderr, flush=True)

    def fatal(self, command: str, message: str, **fields: object) -> None:
        """The run cannot go on (held warehouse, deadline, bad --db): one line on stderr."""
        print(f"{command}: {plain(message)}", file=sys.stderr, flush=True)

    def finish(self, results: list[VendorResult], exit_code: int) -> None:
        pass

    def abort(self) -> None:
        """The run ended before a summary could be made."""


class JsonReporter(Reporter):
    """One JSON object per line, for log shippers; `event` says what it is."""

    def _emit(self, event: str, **fields: object) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        print(json.dumps(record, ensure_ascii=False, default=str), flush=True)

    def vendor_done(self, result: VendorResult) -> None:
        self._emit(
            "vendor", vendor=result.vendor, status=result.status, message=result.message or None,
            error_kind=result.error_kind or None, rows=result.rows, requests=result.requests,
            retries=result.retries, seconds=result.seconds, warnings=result.warnings,
        )  # fmt: skip

    def step(self, name: str, message: str, ok: bool = True, **fields: object) -> None:
        self._emit(name, ok=ok, message=message, **fields)

    def fatal(self, command: str, message: str, **fields: object) -> None:
        self._emit("error", command=command, message=message, **fields)

    def finish(self, results: list[VendorResult], exit_code: int) -> None:
        self._emit("run", exit_code=exit_code, vendors={r.vendor: r.status for r in results})


class TerminalReporter(Reporter):
    """A live status line while loading, then a summary table."""

    def __init__(self) -> None:
        self.console = Console(stderr=False)
        self.done: list[VendorResult] = []
        self._stop = threading.Event()

    def start(self, vendors: list[str]) -> None:
        super().start(vendors)
        self._status = self.console.status("starting…")
        self._status.start()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            if len(self.done) < len(self.vendors):
                vendor = self.vendors[len(self.done)]
                stats = stats_for(vendor)
                self._status.update(
                    f"loading [bold]{markup(vendor)}[/] ({len(self.done) + 1}/{len(self.vendors)}): "
                    f"{stats.requests:,} requests, {stats.retries:,} retries"
                )
            else:
                self._status.update("building the models…")

    def vendor_done(self, result: VendorResult) -> None:
        self.done.append(result)

    def step(self, name: str, message: str, ok: bool = True, **fields: object) -> None:
        self.console.print(Text(f"{name:<11} {plain_lines(message)}", style="" if ok else "red"))

    def fatal(self, command: str, message: str, **fields: object) -> None:
        self.abort()
        Console(stderr=True).print(Text(f"{command}: {plain(message)}", style="red"))

    def abort(self) -> None:
        self._stop.set()
        self._status.stop()

    def finish(self, results: list[VendorResult], exit_code: int) -> None:
        self.abort()
        table = Table(title="run summary", title_justify="left", header_style="bold")
        for column in ("vendor", "status", "rows loaded", "requests", "retries", "seconds"):
            table.add_column(column, justify="left" if column in ("vendor", "status") else "right")
        for r in results:
            colour = {"loaded": "green", "skipped": "dim", "failed": "red"}[r.status]
            table.add_row(Text(plain(r.vendor)), Text(r.status, style=colour), f"{sum(r.rows.values()):,}",
                          f"{r.requests:,}", f"{r.retries:,}", f"{r.seconds:.1f}")  # fmt: skip
        self.console.print(table)
        for r in results:
            if r.status != "loaded":
                style = "red" if r.status == "failed" else "dim"
                self.console.print(Text(f"{r.vendor}: {plain(r.message)}", style=style))
            for warning in r.warnings:
                self.console.print(Text(f"{r.vendor}: warning: {plain(warning)}", style="yellow"))


def reporter_for(log_format: str) -> Reporter:
    if log_format == "json":
        return JsonReporter()
    return TerminalReporter() if sys.stdout.isatty() else Reporter()
