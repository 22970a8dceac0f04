"""Cases 1 and 3 again, against the replay server (bench/replay.py) instead of the live sandbox.

Round one's figures were bounded by the sandbox (it renders ~34 k records/s on one core). Here
every page is recorded once from the sandbox, then served as pre-built bytes, so what is left is
the client. Each case records its world once (unmeasured), then repeats; within a repetition the
compared loads run one after the other (order flipped every repetition) and ratios are taken per
repetition before the median, as in bench/cases_load.py.
"""

from __future__ import annotations

from pathlib import Path

from bench.cases_load import SYNCSCOPE_ENV, _db, _phases, rate_row
from bench.measure import MB, Run, median, run_worker, spread
from bench.replay_proc import ReplayProcess, fetch_loop
from bench.results import Case, Target, fmt
from bench.settings import Settings
from sources.ai_squared.api import SYNCS_PER_PAGE


def _load(replay: ReplayProcess, kind: str, db: Path, extra: dict[str, str] | None = None) -> Run:
    """One worker load against the replay; its requests as the replay counted them (no misses)."""
    replay.reset_requests()
    run = run_worker(kind, db, {**replay.env, **(extra or {})})
    run.requests = replay.requests()
    return run


def _recorders(settings: Settings, name: str, ceiling: bool) -> dict:
    """Record a full load (and the ceiling's crawl) under "full", then a no-op under "noop"."""
    db = settings.workdir / f"record-{name}.duckdb"

    def full(replay: ReplayProcess) -> None:
        if ceiling:
            run_worker("ceiling", settings.workdir / "unused.duckdb", replay.env)
        run_worker("syncscope", db, {**replay.env, **SYNCSCOPE_ENV})

    def noop(replay: ReplayProcess) -> None:
        run_worker("syncscope", db, {**replay.env, **SYNCSCOPE_ENV})

    return {"full": full, "noop": noop}


def throughput(settings: Settings) -> Case:
    """Case 1 on the replay: the server's own fetch loop, the fetch-and-parse ceiling, syncscope."""
    world = settings.replay
    loops: list[dict[str, float]] = []
    ceiling: list[Run] = []
    full: list[Run] = []
    with ReplayProcess(world, settings.workdir, _recorders(settings, "replay", ceiling=True)) as replay:
        for rep in range(settings.repeat):
            loops.append(fetch_loop(replay, "full", settings.http_concurrency))
            db, unused = _db(settings, "replay-full", rep), settings.workdir / "unused.duckdb"
            pair = [(ceiling, "ceiling", unused, {}), (full, "syncscope", db, SYNCSCOPE_ENV)]
            for runs, kind, path, extra in pair if rep % 2 == 0 else reversed(pair):
                runs.append(_load(replay, kind, path, extra))
    vs_ceiling = median([f.rows_per_s / c.rows_per_s for f, c in zip(full, ceiling, strict=True)])
    server_vs = median([lp["rows_per_s"] / f.rows_per_s for lp, f in zip(loops, full, strict=True)])
    described = world.describe()
    case = Case(
        "replay",
        "1b. Full-load throughput on the replay server (records_mode all, fresh DuckDB file)",
        ["loader", "world", "rows", "requests", "seconds (median)", "rows/s (median)", "rows/s range"],
    )
    rates = [lp["rows_per_s"] for lp in loops]
    case.rows = [
        [
            "replay server, plain fetch loop (no parsing)",
            described,
            f"{int(loops[0]['rows']):,}",
            f"{int(loops[0]['requests']):,}",
            fmt(median([lp["seconds"] for lp in loops])),
            fmt(median(rates)),
            spread(rates),
        ],
        rate_row("ceiling (fetch + parse only)", described, ceiling),
        rate_row("syncscope", described, full),
    ]
    case.targets = [
        Target("replay server fetch loop vs syncscope (rows/s)", server_vs, ">=", 5),
        Target("syncscope vs the ceiling on the replay server (rows/s)", vs_ceiling, ">=", 0.8),
    ]
    case.notes = [
        f"The replay server served {fmt(median([lp['mb_per_s'] for lp in loops]))} MB/s to the fetch loop "
        f"(httpx, {settings.http_concurrency} at a time, bodies read, not parsed): no longer the bound.",
        f"Peak RSS (median MB): syncscope {fmt(median([r.peak_rss for r in full]) / MB)}, "
        f"ceiling {fmt(median([r.peak_rss for r in ceiling]) / MB)}.",
        f"syncscope phases (median s): {_phases(full)}",
    ]
    case.commands = [
        f"syncscope sandbox {' '.join(world.args())} --env-file sandbox.env",
        "python -m bench.replay --upstream-env sandbox.env --env-file replay.env   # record, then freeze",
    ]
    case.data = {
        "fetch_rows_per_s": median(rates),
        "ceiling_rows_per_s": median([r.rows_per_s for r in ceiling]),
        "syncscope_rows_per_s": median([r.rows_per_s for r in full]),
        "server_vs_syncscope": server_vs,
        "vs_ceiling": vs_ceiling,
        "fetch_rows": loops[0]["rows"],
        "ceiling_requests": ceiling[0].requests,
        "syncscope_requests": full[0].requests,
    }
    return case


def noop(settings: Settings) -> Case:
    """Case 3 on the replay, on the 1,000-sync world: a no-op load against the API's floor."""
    world = settings.noop
    full: list[Run] = []
    noops: list[Run] = []
    with ReplayProcess(world, settings.workdir, _recorders(settings, "noop", ceiling=False)) as replay:
        for rep in range(settings.repeat):
            db = _db(settings, "noop-full", rep)
            full.append(_load(replay, "syncscope", db, SYNCSCOPE_ENV))
            noops.append(_load(replay, "syncscope", db, SYNCSCOPE_ENV))
    floor = -(-world.syncs // SYNCS_PER_PAGE) + world.syncs
    time_frac = median([n.seconds / f.seconds for n, f in zip(noops, full, strict=True)])
    case = Case(
        "noop",
        f"3b. No-op load on the replay server ({world.describe()})",
        ["load", "requests", "rows", "seconds (median)", "seconds range", "time vs full"],
    )
    for name, runs in (("full", full), ("no-op (nothing new)", noops)):
        seconds = [r.seconds for r in runs]
        frac = median([r.seconds / f.seconds for r, f in zip(runs, full, strict=True)])
        case.rows.append(
            [
                name,
                f"{runs[0].requests:,}",
                f"{runs[0].total_rows:,}",
                fmt(median(seconds)),
                spread(seconds),
                f"{frac:.1%}",
            ]
        )
    case.targets = [
        Target("no-op requests vs the API's floor (1,000 syncs)", noops[0].requests / floor, "<=", 1.05),
        Target("no-op load time vs full load (1,000 syncs)", time_frac * 100, "<=", 2, "%"),
    ]
    case.notes = [
        f"The floor is {floor:,} requests: the sync list at {SYNCS_PER_PAGE} a page, then page 1 of every "
        "sync's runs (no endpoint lists runs across syncs).",
        f"full phases (median s): {_phases(full)}; no-op phases: {_phases(noops)}",
    ]
    case.data = {"floor": floor, "noop_requests": noops[0].requests, "noop_time": time_frac}
    case.data["noop_seconds"] = median([r.seconds for r in noops])
    return case
