"""Cases 4-5: peak memory of a full load at 1 M and 5 M records, and the models on a big warehouse.

Memory is sampled per load step (extract / normalize / load), so a peak is attributed to the
step that made it. The product's load settings (pipelines/dlt_setup.py: DuckDB memory_limit
512MB, dlt extract next_item_mode fifo) are the target's figures; beside them, once each, the
loads with dlt's and DuckDB's defaults (what those settings were chosen against) and with only
one of the two settings, so the table shows what each one buys.
The last full load's warehouse is kept for case 5, so the models run on what a load produced.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from bench.cases_load import SYNCSCOPE_ENV, _commands, _db, _measured, _phases, _row
from bench.measure import MB, Run, median, run_command
from bench.results import Case, Target, fmt
from bench.sandbox_proc import SandboxProcess, World
from bench.settings import Settings

# DuckDB's own default buffer pool is 80% of RAM; dlt's default extract mode is round_robin.
DUCKDB_DEFAULT = {"WAREHOUSE__LOAD_MEMORY_LIMIT": "80%"}
ROUND_ROBIN = {"EXTRACT__NEXT_ITEM_MODE": "round_robin"}
BEFORE = {**DUCKDB_DEFAULT, **ROUND_ROBIN}
LEVERS: dict[str, dict[str, str]] = {
    "only memory_limit 512MB (round_robin)": ROUND_ROBIN,
    "only fifo (DuckDB memory_limit 80%)": DUCKDB_DEFAULT,
}


def _load(settings: Settings, world: World, name: str, rep: int, extra: dict[str, str]) -> Run:
    with SandboxProcess(world, settings.workdir) as box:
        return _measured(box, "syncscope", _db(settings, name, rep), {**SYNCSCOPE_ENV, **extra})


def _peaks(runs: list[Run]) -> str:
    steps = runs[0].phase_peaks
    return ", ".join(f"{s} {median([r.phase_peaks.get(s, 0) for r in runs]) / MB:,.0f}" for s in steps)


def _memory_row(label: str, world: World, runs: list[Run]) -> list[str]:
    peak = _row("", runs, lambda r: r.peak_rss / MB)
    seconds = fmt(median([r.seconds for r in runs]))
    spread_or_once = peak[2] or f"{len(runs)} run"
    return [
        label,
        world.describe(),
        f"{runs[0].total_rows:,}",
        seconds,
        peak[1],
        spread_or_once,
        _peaks(runs),
    ]


def _growth(small: list[Run], big: list[Run]) -> float:
    return median([r.peak_rss for r in big]) / median([r.peak_rss for r in small]) - 1


def memory_case(
    name: str, title: str, worlds: list, by_world: list[list[Run]]
) -> tuple[Case, float, list[float]]:
    """A peak-RSS case (4 on the sandbox, 4b on the replay server): one row per volume, the growth
    from the smallest to the biggest and each volume's median peak in MB."""
    columns = [
        "settings",
        "world",
        "rows",
        "seconds (median)",
        "peak RSS MB (median)",
        "range",
        "peak by step, MB",
    ]
    case = Case(name, title, columns)
    case.rows = [
        _memory_row("syncscope (product settings)", world, runs)
        for world, runs in zip(worlds, by_world, strict=True)
    ]
    peaks = [median([r.peak_rss for r in runs]) / MB for runs in by_world]
    return case, _growth(by_world[0], by_world[-1]), peaks


def memory(settings: Settings) -> tuple[Case, Path]:
    """Case 4; returns the case and the warehouse of the last load at the biggest volume.

    The product as it is, `repeat` times at each volume (the target); then, once each, dlt's and
    DuckDB's defaults at both volumes and each setting alone at the biggest.
    """
    worlds = settings.memory
    reps = range(settings.repeat)
    by_world = [
        [_load(settings, world, f"memory{w}", rep, {}) for rep in reps] for w, world in enumerate(worlds)
    ]
    case, growth, peaks = memory_case(
        "memory",
        "4. Peak RSS of a full load (records_mode all, loader process and its children)",
        worlds,
        by_world,
    )
    case.data = {"growth": growth, "peak_small_mb": peaks[0], "peak_big_mb": peaks[-1]}
    if settings.levers:
        before = [[_load(settings, world, f"before{w}", 0, BEFORE)] for w, world in enumerate(worlds)]
        for world, runs in zip(worlds, before, strict=True):
            case.rows.append(_memory_row("dlt + DuckDB defaults (before)", world, runs))
        for n, (lever, env) in enumerate(LEVERS.items()):
            case.rows.append(_memory_row(lever, worlds[-1], [_load(settings, worlds[-1], "lever", n, env)]))
        case.data["growth_before"] = _growth(before[0], before[-1])
        case.notes.append(
            f"With dlt's and DuckDB's defaults, peak RSS grows {case.data['growth_before']:.1%} "
            "(one load per volume)."
        )
        levers = {"before": BEFORE, **LEVERS}
        shown = [f"{k}: `{' '.join(f'{n}={v}' for n, v in e.items())}`" for k, e in levers.items()]
        case.notes.append("Other settings are environment variables: " + "; ".join(shown))
    volumes = f"--records {worlds[0].records:,} to {worlds[-1].records:,}"
    case.targets = [Target(f"peak RSS growth from {volumes}", growth * 100, "<=", 15, "%")]
    case.notes.append(
        f"Step timings at the biggest volume, product settings (median s): {_phases(by_world[-1])}"
    )
    case.commands = [c for world in worlds for c in _commands(world, "syncscope")]
    return case, settings.workdir / f"memory{len(worlds) - 1}-{settings.repeat - 1}.duckdb"


def _sizes(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = ("syncs", "sync_runs", "sync_records")
        present = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw_ai_squared'"
            ).fetchall()
        }
        count = "select count(*) from raw_ai_squared.{}"
        return {t: con.execute(count.format(t)).fetchone()[0] if t in present else 0 for t in tables}


def models(settings: Settings, db: Path, world: World | None = None) -> Case:
    """Case 5: `syncscope models` on a loaded warehouse (case 4's last, or `world`'s)."""
    sizes = _sizes(db)
    command = [sys.executable, "-m", "pipelines.cli", "models", "--db", str(db)]
    runs = [run_command("models", command, {}) for _ in range(settings.repeat)]
    built = runs[-1].output.strip().splitlines()[0] if runs[-1].output.strip() else ""
    world = world or settings.memory[-1]
    case = Case(
        "models",
        f"5. `syncscope models` on a warehouse of {world.describe()}",
        ["figure", "median", "range"],
    )
    case.rows = [
        ["warehouse rows (syncs / runs / records)", " / ".join(f"{n:,}" for n in sizes.values()), ""],
        _row("wall time (process start to exit)", runs, lambda r: r.seconds, " s"),
        _row("peak RSS", runs, lambda r: r.peak_rss / MB, " MB"),
        ["the command said", built, ""],
    ]
    case.notes = [
        "Loaded with records_mode all: every record the world has is in the warehouse, the heaviest case "
        "for the models (the default, failed, keeps ~6% of them: the failed ones, all marts.record_errors "
        "reads)."
        if sizes["sync_records"]
        else "A world without records: the runs are what the marts read.",
    ]
    case.commands = [f"syncscope models --db {db.name}"]
    case.data = {"seconds": median([r.seconds for r in runs]), "records": sizes["sync_records"]}
    return case
