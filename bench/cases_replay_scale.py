"""Cases 2 and 4 again, against the replay server: latency hiding and peak RSS from 1 M to 5 M records.

Against the sandbox, case 2's gap to the concurrency bound was partly the sandbox's own CPU per
answer (one thread), and case 4's loads took minutes each waiting on it. Here each world is
recorded once from the sandbox by the fetch-and-parse crawl (bench/ceiling.py makes exactly the
requests syncscope makes; a load that asks for anything else fails on the replay's miss count),
then measured against the replay: with a fixed wait before every answer for case 2b, as fast as
it can serve for case 4b.
"""

from __future__ import annotations

from pathlib import Path

from bench.cases_load import SYNCSCOPE_ENV, _db, _phases, latency_case
from bench.cases_replay import _load
from bench.cases_scale import memory_case
from bench.measure import Run, run_worker
from bench.replay_proc import ReplayProcess
from bench.results import Case, Target
from bench.sandbox_proc import World
from bench.settings import Settings


def _by_crawl(settings: Settings) -> dict:
    """Record a world with the ceiling's crawl: the requests syncscope's full load makes."""

    def full(replay: ReplayProcess) -> None:
        run_worker("ceiling", settings.workdir / "unused.duckdb", replay.env)

    return {"full": full}


def _replay_commands(world: World) -> list[str]:
    return [
        f"syncscope sandbox {' '.join(world.args())} --env-file sandbox.env",
        "python -m bench.replay --upstream-env sandbox.env --env-file replay.env   # then: source replay.env",
        "python -m bench.worker ceiling --db unused.duckdb                          # records every page",
        "curl -X POST $SOURCES__AI_SQUARED__BASE_URL/_replay/freeze",
    ]


def latency(settings: Settings) -> Case:
    """Case 2b: the latency world recorded without latency, replayed with the wait added."""
    world = settings.latency
    recorded = World(world.syncs, world.days, world.records, seed=world.seed)
    runs: list[Run] = []
    ceiling: list[Run] = []
    with ReplayProcess(recorded, settings.workdir, _by_crawl(settings)) as replay:
        replay.set_latency(world.latency_ms)
        for rep in range(settings.repeat):
            db, unused = _db(settings, "replay-latency", rep), settings.workdir / "unused.duckdb"
            pair = [(ceiling, "ceiling", unused, {}), (runs, "syncscope", db, SYNCSCOPE_ENV)]
            for loads, kind, path, extra in pair if rep % 2 == 0 else reversed(pair):
                loads.append(_load(replay, kind, path, extra))
    case = latency_case(
        settings, world, runs, ceiling, "replay_latency", "2b. Latency hiding on the replay server",
        " (replay server)",
    )  # fmt: skip
    case.notes.append(
        f"The replay server waits {world.latency_ms:g} ms before every answer (an asyncio timer, no "
        "thread held), so what is left above the bound is the client's own time per request."
    )
    wait = f"curl -X POST $SOURCES__AI_SQUARED__BASE_URL/_replay/latency/{world.latency_ms:g}"
    case.commands = [*_replay_commands(recorded), wait]
    return case


def memory(settings: Settings) -> tuple[Case, Path]:
    """Case 4b: the product's loads at each volume; returns the last biggest-volume warehouse."""
    worlds = settings.replay_memory
    by_world: list[list[Run]] = []
    for w, world in enumerate(worlds):
        runs: list[Run] = []
        with ReplayProcess(world, settings.workdir, _by_crawl(settings)) as replay:
            for rep in range(settings.repeat):
                runs.append(
                    _load(replay, "syncscope", _db(settings, f"replay-memory{w}", rep), SYNCSCOPE_ENV)
                )
        by_world.append(runs)
    case, growth, peaks = memory_case(
        "replay_memory",
        "4b. Peak RSS of a full load on the replay server (records_mode all, loader and its children)",
        worlds,
        by_world,
    )
    volumes = f"--records {worlds[0].records:,} to {worlds[-1].records:,}"
    case.targets = [Target(f"peak RSS growth from {volumes} (replay server)", growth * 100, "<=", 15, "%")]
    case.notes = [
        "The loader runs as fast as it can here (no wait on the sandbox), so more record pages are in "
        "flight at once than against the sandbox: the harder case for memory.",
        f"Step timings at the biggest volume (median s): {_phases(by_world[-1])}",
    ]
    case.commands = [c for world in worlds for c in _replay_commands(world)]
    case.data = {"growth": growth, "peak_small_mb": peaks[0], "peak_big_mb": peaks[-1]}
    last = settings.workdir / f"replay-memory{len(worlds) - 1}-{settings.repeat - 1}.duckdb"
    return case, last


def warehouse(settings: Settings) -> Path:
    """A warehouse for cases 5, 6 and 8: one full load of `settings.warehouse` (unmeasured)."""
    db = settings.workdir / "warehouse.duckdb"
    with ReplayProcess(settings.warehouse, settings.workdir, _by_crawl(settings)) as replay:
        _load(replay, "syncscope", db, SYNCSCOPE_ENV)
    return db
