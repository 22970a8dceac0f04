"""`syncscope report --html` as a reader meets it: the page opened in a real headless Chromium.

The browser is driven over the DevTools protocol on `--remote-debugging-pipe` (JSON messages ending
in NUL on file descriptors 3 and 4), not by scraping its log: every console message, uncaught
exception, browser-side error (a Content-Security-Policy refusal, a failed load) and network
request arrives as a typed event of the page's own session, so "no errors" and "no request" are
checked on the events themselves, and the DOM is measured after layout (path lengths, bar boxes).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipelines.commands.demo import environment
from pipelines.html_report import CSP, write_html
from pipelines.models import build
from pipelines.run import run_all
from pipelines.runner import VENDORS
from sandbox.service import Sandbox
from tests.conftest import require_program, small_config

pytestmark = pytest.mark.requires_program("chromium", "chromium")  # skipped (CI: failed) without it
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1400,2400", "--remote-debugging-pipe"]  # fmt: skip
# Measured in the page after load: what a reader would see, not what the HTML source claims.
PROBE = """JSON.stringify({
  charts: [...document.querySelectorAll('svg.chart')].map(s => ({
    kind: s.dataset.chart, vendor: s.dataset.vendor, width: s.getBoundingClientRect().width,
    line: [...s.querySelectorAll('path.line')].reduce((n, p) => n + p.getTotalLength(), 0),
    bars: [...s.querySelectorAll('rect.bar')].filter(r => r.getBBox().height > 0).length,
    dots: [...s.querySelectorAll('circle.dot')].filter(c => c.getBBox().width > 0).length,
    empty: s.querySelector('rect.empty') !== null})),
  elements: document.querySelectorAll('script, img, iframe, object, embed, link, td b b').length,
  text: document.body.innerText,
  worst: [...document.querySelectorAll('table.worst tbody tr')].map(r => r.cells[2].innerText),
  errors: [...document.querySelectorAll('table.errors tbody tr')].map(r => r.cells[2].innerText)})"""


@dataclass
class Visit:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, browser log errors
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, itself included
    dialogs: list[str] = field(default_factory=list)
    dom: dict = field(default_factory=dict)


class DevTools:
    """A minimal DevTools client: Chromium reads commands on fd 3 and writes replies and events on fd 4."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_chrome, self._out = os.pipe()
        self._in, from_chrome = os.pipe()
        # Lift both child ends above 4, so putting them on 3 and 4 in the child cannot clobber one.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome, from_chrome)]
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(ends[0], 3), os.dup2(ends[1], 4)), close_fds=False,
        )  # fmt: skip
        for fd in (to_chrome, from_chrome, *ends):
            os.close(fd)
        self.events: list[dict] = []
        self._buffer, self._id = b"", 0

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        os.write(
            self._out, json.dumps({**message, **({"sessionId": session} if session else {})}).encode() + b"\0"
        )
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(event.get("method") == method for event in self.events):
            self.events.append(self._next())

    def _next(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self._in], [], [], left)[0], "Chromium did not answer in time"
            chunk = os.read(self._in, 1 << 20)
            assert chunk, f"Chromium exited (code {self.proc.poll()}) and closed the DevTools pipe"
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def close(self) -> None:
        with contextlib.suppress(AssertionError):  # already gone: nothing to close
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._in)
        os.close(self._out)


def visit(binary: str, page: Path, profile: Path, screenshot: Path | None = None) -> Visit:
    """Open `page` at 1400x2400, wait for load, collect the page session's events, measure the DOM."""
    tools = DevTools(binary, profile)
    try:
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable", session=session)
        metrics = {"width": 1400, "height": 2400, "deviceScaleFactor": 1, "mobile": False}
        tools.call("Emulation.setDeviceMetricsOverride", metrics, session)
        tools.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
        tools.wait_for("Page.loadEventFired")
        probe = tools.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session)
        result = Visit(dom=json.loads(probe["result"]["value"]))
        if screenshot is not None:
            height = tools.call("Page.getLayoutMetrics", session=session)["cssContentSize"]["height"]
            clip = {"x": 0, "y": 0, "width": 1400, "height": max(height, 2400), "scale": 1}
            options = {"format": "png", "clip": clip, "captureBeyondViewport": True}
            shot = tools.call("Page.captureScreenshot", options, session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
    finally:
        tools.close()
    for event in (e for e in tools.events if e.get("sessionId") == session):
        method, params = event["method"], event["params"]
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            result.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            result.errors.append(
                f"{details.get('text')} {details.get('exception', {}).get('description', '')}"
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            result.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            result.requests.append(params["request"]["url"])
        elif method == "Page.javascriptDialogOpening":
            result.dialogs.append(params["message"])
    return result


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's path (the module's requires_program mark has made sure there is one)."""
    return require_program("chromium", "chromium")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All three sandbox vendors loaded and modelled, the way `syncscope demo` does it."""
    db = tmp_path_factory.mktemp("html") / "w.duckdb"
    with Sandbox(small_config()) as box, environment(box.env()):
        outcome = run_all(db, list(VENDORS), publish=False)
    assert outcome.exit_code == 0, outcome
    return db


def facts(db: Path, sql: str) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return [row[0] for row in con.execute(sql).fetchall()]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def page(chromium: str, warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Visit]:
    """The page written by the CLI, as the browser saw it; its screenshot is kept in artifacts/."""
    out = tmp_path_factory.mktemp("page") / "health.html"
    command = [sys.executable, "-m", "pipelines.cli", "report", "--db", str(warehouse), "--html", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out.resolve()), "the command prints the path it wrote"
    ARTIFACTS.mkdir(exist_ok=True)
    return out, visit(chromium, out, tmp_path_factory.mktemp("profile"), ARTIFACTS / "html_report.png")


def test_page_loads_without_console_errors_or_requests(page: tuple[Path, Visit]) -> None:
    path, seen = page
    assert seen.errors == [] and seen.dialogs == []
    assert seen.requests == [path.resolve().as_uri()], "the page itself is the only thing fetched"
    assert seen.dom["elements"] == 0, "no script, image, frame, embed or stylesheet link"


def test_one_drawn_chart_per_vendor_and_metric(page: tuple[Path, Visit], warehouse: Path) -> None:
    charts = page[1].dom["charts"]
    loaded = sorted(facts(warehouse, "select distinct vendor from marts.sync_health"))
    assert loaded == sorted(VENDORS)
    for kind in ("success-rate", "duration", "throughput"):
        assert sorted(c["vendor"] for c in charts if c["kind"] == kind) == loaded, kind
    assert all(c["width"] > 300 for c in charts), "every chart is laid out at a readable width"
    rates = [c for c in charts if c["kind"] == "success-rate"]
    assert all(c["dots"] > 0 and not c["empty"] for c in rates), "each vendor's days are drawn points"
    assert all(c["line"] > 0 for c in rates), "joined by a line where days follow each other"
    window = "finished_at > (select as_of - interval 30 day from marts.as_of)"
    timed = facts(warehouse, f"select distinct vendor from marts.sync_runs where duration_s > 0 and {window}")
    durations = {c["vendor"]: c for c in charts if c["kind"] == "duration"}
    assert sorted(v for v, c in durations.items() if c["bars"] > 0) == sorted(timed)
    assert all(c["empty"] for v, c in durations.items() if v not in timed), "no data says so, in place"
    assert len(page[1].dom["worst"]) == len(loaded) * small_config().syncs, "every sync listed (< 50)"


def test_screenshot_is_a_real_full_page_png(page: tuple[Path, Visit]) -> None:
    shot = ARTIFACTS / "html_report.png"
    width, height = png_size(shot)
    assert width == 1400 and height >= 2400
    assert shot.stat().st_size > 60_000, "a blank page compresses to a few kB; this one has charts and tables"


def test_the_page_references_nothing_outside_itself(page: tuple[Path, Visit]) -> None:
    html = page[0].read_text()
    assert not re.search(
        r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z]+:)?//""", html, re.I
    )
    assert not re.search(r"url\(|@import|<script|<link|<iframe|<img", html, re.I)
    assert "default-src 'none'" in html, (
        "a Content-Security-Policy forbids fetching, should a URL ever slip in"
    )


HOSTILE_NAME = """</td><script>alert("name")</script><b>bold</b> & 'quoted' Zoë 顧客 <!-- x"""
HOSTILE_ERROR = """<img src=x onerror=alert(1)> & "quoted" <b>"""


def test_strings_from_the_warehouse_are_shown_as_text(chromium: str, warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "hostile.duckdb"
    shutil.copy(warehouse, db)
    with duckdb.connect(str(db)) as con:
        sync_id = con.execute("select min(sync_id) from marts.syncs where vendor = 'ai_squared'").fetchone()[
            0
        ]
        for table in ("sync_health", "syncs"):
            con.execute(f"update marts.{table} set sync_name = ? where vendor = 'ai_squared' and sync_id = ?",
                        [HOSTILE_NAME, sync_id])  # fmt: skip
        con.execute("update marts.sync_health set health = 'failing' where sync_id = ?", [sync_id])
        con.execute("insert into marts.record_errors (vendor, sync_id, error_fingerprint, example_error, "
                    "failed_records, first_seen_at, last_seen_at) values ('ai_squared', ?, ?, ?, 1000000000, "
                    "now(), now())", [sync_id, HOSTILE_ERROR, HOSTILE_ERROR])  # fmt: skip
    out = write_html(db, tmp_path / "hostile.html")
    seen = visit(chromium, out, tmp_path / "profile")
    assert seen.errors == [] and seen.dialogs == [] and seen.dom["elements"] == 0
    assert any(cell.startswith(HOSTILE_NAME) for cell in seen.dom["worst"]), seen.dom["worst"][:3]
    assert seen.dom["errors"][0] == f"{HOSTILE_ERROR}\n{HOSTILE_ERROR}"
    assert "<script>" not in out.read_text() and "&lt;script&gt;" in out.read_text()


def test_an_empty_warehouse_renders_and_says_so(chromium: str, tmp_path: Path) -> None:
    modelled, bare = tmp_path / "empty.duckdb", tmp_path / "bare.duckdb"
    build(modelled)  # the marts exist, empty: no vendor was ever loaded
    duckdb.connect(str(bare)).close()  # no marts at all
    for db, says in ((modelled, "No vendor loaded yet"), (bare, "no marts yet")):
        seen = visit(chromium, write_html(db, tmp_path / f"{db.stem}.html"), tmp_path / f"profile-{db.stem}")
        assert seen.errors == [] and seen.dom["charts"] == [] and says in seen.dom["text"]
        assert "Sync health" in seen.dom["text"] and "no load yet" in seen.dom["text"]


def test_the_browser_check_sees_errors_and_requests(chromium: str, tmp_path: Path) -> None:
    """The checks above would pass vacuously if the harness saw nothing; a broken page proves it sees."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><img src='http://127.0.0.1:9/x.png'><script>console.error('boom');"
                      "undefinedFunction()</script>")  # fmt: skip
    seen = visit(chromium, broken, tmp_path / "profile")
    assert any("boom" in e for e in seen.errors) and any("undefinedFunction" in e for e in seen.errors)
    assert "http://127.0.0.1:9/x.png" in seen.requests
    guarded = tmp_path / "guarded.html"
    guarded.write_text(
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\"><img src='https://example.com/x'>"
    )
    seen = visit(chromium, guarded, tmp_path / "profile-guarded")
    assert any("Content Security Policy" in e for e in seen.errors), "the page's CSP refuses, and we see it"
