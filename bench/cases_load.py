"""Cases 1-3: full-load throughput against rest_api and the ceiling, latency hiding, incremental cost.

Each repetition starts a fresh sandbox on the same fixed world (same seed, same start), so every
repetition sees the same bytes even though the incremental case moves the clock. Loaders that
are compared run one after another in the same repetition, and the ratios are taken per
repetition before the median, so a burst of load on the shared machine hits both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.measure import Run, median, run_worker, spread
from bench.results import Case, Target, fmt
from bench.sandbox_proc import SandboxProcess, World
from bench.settings import Settings

# syncscope's loads take every record (the heaviest mode); the rest are the source's defaults.
SYNCSCOPE_ENV = {"SOURCES__AI_SQUARED__RECORDS_MODE": "all"}


def _db(settings: Settings, name: str, rep: int) -> Path:
    """A fresh DuckDB file (and pipeline state beside it) per load that must start empty."""
    path = settings.workdir / f"{name}-{rep}.duckdb"
    assert not path.exists(), f"{path} is left over from an earlier load"
    return path


def _measured(box: SandboxProcess, kind: str, db: Path, extra: dict[str, str] | None = None) -> Run:
    """One worker load against `box`, with the requests the sandbox served during it."""
    box.reset_requests()
    run = run_worker(kind, db, {**box.env, **(extra or {})})
    run.requests = box.requests()
    return run


def _commands(world: World, *kinds: str) -> list[str]:
    """The shell commands that reproduce one world's loads by hand."""
    commands = [f"syncscope sandbox {' '.join(world.args())} --env-file sandbox.env"]
    env = " ".join(f"{k}={v}" for k, v in SYNCSCOPE_ENV.items())
    for kind in kinds:
        prefix = f"{env} " if kind == "syncscope" else ""
        commands.append(f"{prefix}python -m bench.worker {kind} --db fresh-{kind}.duckdb")
    return commands


def _row(name: str, runs: list[Run], value: Callable[[Run], float], unit: str = "") -> list[str]:
    values = [value(r) for r in runs]
    return [name, fmt(median(values), unit), spread(values)]


def throughput_and_incremental(settings: Settings) -> list[Case]:
    """Case 1 (ceiling vs syncscope on the big world, rest_api vs syncscope on a tenth) and
    case 3 (no-op and +1 h loads on the same warehouse as case 1's full load)."""
    ceiling, full, noop, later, rest, small = [], [], [], [], [], []
    for rep in range(settings.repeat):
        with SandboxProcess(settings.throughput, settings.workdir) as box:
            ceiling.append(_measured(box, "ceiling", settings.workdir / "unused.duckdb"))
            db = _db(settings, "full", rep)
            full.append(_measured(box, "syncscope", db, SYNCSCOPE_ENV))
            noop.append(_measured(box, "syncscope", db, SYNCSCOPE_ENV))
            box.advance(settings.advance_s)
            later.append(_measured(box, "syncscope", db, SYNCSCOPE_ENV))
        with SandboxProcess(settings.rest_api, settings.workdir) as box:
            rest.append(_measured(box, "rest_api", _db(settings, "rest_api", rep)))
            small.append(_measured(box, "syncscope", _db(settings, "small", rep), SYNCSCOPE_ENV))
    vs_ceiling = median([f.rows_per_s / c.rows_per_s for f, c in zip(full, ceiling, strict=True)])
    vs_rest_same = median([s.rows_per_s / r.rows_per_s for s, r in zip(small, rest, strict=True)])
    vs_rest = median([f.rows_per_s / r.rows_per_s for f, r in zip(full, rest, strict=True)])
    big, tenth = settings.throughput.describe(), settings.rest_api.describe()
    case1 = Case(
        "throughput",
        "1. Full-load throughput (records_mode all, fresh DuckDB file)",
        ["loader", "world", "rows", "requests", "seconds (median)", "rows/s (median)", "rows/s range"],
    )
    loaders = [("ceiling (fetch + parse only)", ceiling, big), ("syncscope", full, big)]
    loaders += [("syncscope", small, tenth), ("dlt rest_api (defaults)", rest, tenth)]
    for name, runs, world in loaders:
        rates = [r.rows_per_s for r in runs]
        seconds = fmt(median([r.seconds for r in runs]))
        first = runs[0]
        case1.rows.append(
            [
                name,
                world,
                f"{first.total_rows:,}",
                f"{first.requests:,}",
                seconds,
                fmt(median(rates)),
                spread(rates),
            ]
        )
    case1.targets = [
        Target(
            "syncscope vs dlt rest_api at its defaults (rows/s, same small world)", vs_rest_same, ">=", 10
        ),
        Target("syncscope vs the ceiling (rows/s, same world)", vs_ceiling, ">=", 0.5),
    ]
    case1.notes = [
        f"rest_api is measured on a tenth of the world ({tenth}) because it runs at a few thousand "
        f"rows/s; syncscope's rows/s on the full world ({big}) is {fmt(vs_rest)}x rest_api's.",
        "Ratios are medians of per-repetition ratios (loads measured one after the other, same sandbox).",
        "rest_api asks for the records of every run (it cannot skip runs whose counters say there are "
        "none), hence its request count; syncscope and the ceiling make the same requests.",
        f"syncscope phases (median s): {_phases(full)}",
    ]
    case1.commands = _commands(settings.throughput, "ceiling", "syncscope") + _commands(
        settings.rest_api, "rest_api", "syncscope"
    )
    case1.data = {"ceiling_rows_per_s": median([r.rows_per_s for r in ceiling]),
                  "syncscope_rows_per_s": median([r.rows_per_s for r in full]),
                  "rest_api_rows_per_s": median([r.rows_per_s for r in rest]),
                  "vs_ceiling": vs_ceiling, "vs_rest_api": vs_rest_same}  # fmt: skip
    return [case1, _incremental(settings, full, noop, later)]


def _phases(runs: list[Run]) -> str:
    names = runs[0].phases
    return ", ".join(f"{name} {fmt(median([r.phases.get(name, 0) for r in runs]))}" for name in names)


def _incremental(settings: Settings, full: list[Run], noop: list[Run], later: list[Run]) -> Case:
    """Case 3 from the loads case 1 made: fractions of the full load, per repetition."""
    case = Case(
        "incremental",
        f"3. Incremental cost ({settings.throughput.describe()})",
        ["load", "requests", "rows", "seconds (median)", "seconds range", "time vs full", "requests vs full"],
    )
    fractions = {}
    for name, runs in (("full", full), ("noop", noop), ("later", later)):
        time_frac = median([r.seconds / f.seconds for r, f in zip(runs, full, strict=True)])
        req_frac = median([r.requests / f.requests for r, f in zip(runs, full, strict=True)])
        fractions[name] = (time_frac, req_frac)
        row = _row(name, runs, lambda r: r.seconds)
        label = {"noop": "no-op (nothing new)", "later": f"after the clock moved {settings.advance_s:,} s"}
        counts = [f"{runs[0].requests:,}", f"{runs[0].total_rows:,}"]
        case.rows.append(
            [label.get(name, name), *counts, row[1], row[2], f"{time_frac:.1%}", f"{req_frac:.1%}"]
        )
    noop_time, noop_req = fractions["noop"]
    case.targets = [
        Target("no-op load time vs full load", noop_time * 100, "<=", 2, "%"),
        Target("no-op load requests vs full load", noop_req * 100, "<=", 2, "%"),
    ]
    floor = -(-settings.throughput.syncs // 100) + settings.throughput.syncs
    case.notes = [
        f"The request floor of any incremental load against this API is {floor:,} (the sync list at "
        "100 a page, then page 1 of every sync's runs: a new run does not touch its sync).",
        f"no-op phases (median s): {_phases(noop)}",
    ]
    case.data = {"noop_time": noop_time, "noop_requests": noop_req, "later_time": fractions["later"][0],
                 "later_requests": fractions["later"][1], "floor": floor}  # fmt: skip
    return case


def latency(settings: Settings) -> Case:
    """Case 2: a load against a sandbox that waits before every answer, vs what waiting costs."""
    world, runs = settings.latency, []
    for rep in range(settings.repeat):
        with SandboxProcess(world, settings.workdir) as box:
            runs.append(_measured(box, "syncscope", _db(settings, "latency", rep), SYNCSCOPE_ENV))
    wait_s = world.latency_ms / 1000
    sequential = [r.requests * wait_s for r in runs]
    bound = [s / settings.http_concurrency for s in sequential]
    vs_bound = median([r.seconds / b for r, b in zip(runs, bound, strict=True)])
    extract_vs_bound = median([r.phases["extract"] / b for r, b in zip(runs, bound, strict=True)])
    case = Case(
        "latency",
        f"2. Latency hiding ({world.describe()}, http_concurrency {settings.http_concurrency})",
        ["figure", "median", "range"],
    )
    case.rows = [
        ["requests", f"{runs[0].requests:,}", ""],
        ["rows", f"{runs[0].total_rows:,}", ""],
        _row("load wall time", runs, lambda r: r.seconds, " s"),
        _row("of which extract (all HTTP happens here)", runs, lambda r: r.phases["extract"], " s"),
        ["sequential bound (requests x latency)", fmt(median(sequential), " s"), ""],
        ["concurrency bound (sequential / http_concurrency)", fmt(median(bound), " s"), ""],
        ["load / concurrency bound", fmt(vs_bound, "x"), ""],
        ["extract / concurrency bound", fmt(extract_vs_bound, "x"), ""],
    ]
    case.targets = [Target("load wall time vs the concurrency bound", vs_bound, "<=", 1.25)]
    case.notes = [f"phases (median s): {_phases(runs)}"]
    case.commands = _commands(world, "syncscope")
    case.data = {"vs_bound": vs_bound, "extract_vs_bound": extract_vs_bound, "requests": runs[0].requests}
    return case
