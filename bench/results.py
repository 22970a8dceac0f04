"""What a case reports (a table, targets met or missed, notes) and how RESULTS.md is written.

RESULTS.md is regenerated on every run, except what follows the ANALYSIS marker: the profiles
and the proposed fixes are written by a person reading the figures, and a re-run must not erase
them (they name the run they refer to).
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

ANALYSIS = "<!-- analysis: everything below is kept when the benchmark rewrites this file -->"


@dataclass(frozen=True)
class Target:
    """A figure against its threshold: `figure op threshold` is what must hold."""

    name: str
    figure: float
    op: str  # ">=" or "<="
    threshold: float
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.figure >= self.threshold if self.op == ">=" else self.figure <= self.threshold

    def line(self) -> str:
        verdict = "MET" if self.met else "MISSED"
        figure, threshold = _num(self.figure) + self.unit, _num(self.threshold) + self.unit
        return f"{self.name}: {figure} (target {self.op} {threshold}) {verdict}"


@dataclass
class Case:
    """One benchmark's outcome; `data` keeps the raw medians for tests and readers."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    data: dict[str, float] = field(default_factory=dict)

    def markdown(self) -> str:
        out = [f"## {self.title}", ""]
        out += ["| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        out += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.targets:
            out += ["", *[f"- **{t.line()}**" for t in self.targets]]
        if self.notes:
            out += ["", *[f"- {note}" for note in self.notes]]
        if self.commands:
            out += ["", "To reproduce one repetition by hand (with the sandbox's env file sourced):", ""]
            out += ["```", *self.commands, "```"]
        return "\n".join(out)


def _num(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def fmt(value: float, unit: str = "") -> str:
    """A figure for a table cell."""
    return _num(value) + unit


def _target_row(t: Target) -> str:
    verdict = "met" if t.met else "**missed**"
    return f"| {t.name} | {_num(t.figure)}{t.unit} | {t.op} {_num(t.threshold)}{t.unit} | {verdict} |"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> dict[str, str]:
    """What the figures depend on, recorded next to them."""
    versions = {name: metadata.version(name) for name in ("dlt", "duckdb", "pyarrow", "httpx", "orjson")}
    load = ", ".join(f"{x:.2f}" for x in psutil.getloadavg())
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return {
        "CPU": f"{_cpu_model()}; {os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical)",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Packages": ", ".join(f"{name} {v}" for name, v in versions.items()),
        "Code": f"git {_git('rev-parse', '--short', 'HEAD')}{dirty}",
        "Load average at start (1/5/15 min)": load,
    }


def write(path: Path, cases: list[Case], info: dict[str, str], argv: list[str], minutes: float) -> None:
    """Regenerate `path`, keeping any analysis a person wrote below the marker."""
    kept = ""
    if path.exists() and ANALYSIS in (old := path.read_text()):
        kept = old.split(ANALYSIS, 1)[1]
    targets = [t for case in cases for t in case.targets]
    lines = [
        "# syncscope benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.0f} minutes, with:",
        "",
        "```",
        shlex.join([Path(sys.executable).name, "-m", "bench", *argv]),
        "```",
        "",
        *[f"- **{name}**: {value}" for name, value in info.items()],
        f"- **Load average at end**: {', '.join(f'{x:.2f}' for x in psutil.getloadavg())}",
        "",
        "## Targets",
        "",
        "| target | figure | threshold | |",
        "|---|---|---|---|",
        *[_target_row(t) for t in targets],
        "",
        *[case.markdown() + "\n" for case in cases],
        ANALYSIS,
    ]
    path.write_text("\n".join(lines) + (kept if kept else "\n"))
