"""The worlds and knobs every case reads: full size by default, toy size for the smoke test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.alert_case import Fleet
from bench.sandbox_proc import World

# Case 1 and 3: >= 1 M records over 50 syncs and 14 days (--records is approximate: the sandbox
# serves ~0.94 of it, so 1.1 M gives ~1.03 M loaded records).
THROUGHPUT = World(syncs=50, days=14, records=1_100_000)
# rest_api at its defaults manages a few thousand rows/s: the same shape at a tenth (a tenth of
# the syncs, so runs per sync and records per run stay the same).
REST_API = World(syncs=5, days=14, records=110_000, plain_numbers=True)
# Case 2: a world where requests, not rows, dominate (many syncs, few records per run).
LATENCY = World(syncs=200, days=7, records=20_000, latency_ms=50)
# Case 4 and 5: the README's large preset (1,000 syncs, 28 days) at 1 M and 5 M records; only
# the record volume differs between the two.
# Case 1b on the replay server (bench/replay.py holds every page in memory: ~0.55 KB a record,
# so half a million records keeps it near 300 MB on a shared machine).
REPLAY = World(syncs=50, days=14, records=500_000)
# Case 3b: the no-op on 1,000 syncs (the request floor grows with syncs, not records).
NOOP = World(syncs=1000, days=7, records=200_000)
# Case 4b on the replay server: the target's 1 M -> 5 M records on case 1b's shape (50 syncs,
# 14 days; round 1's 1,000-sync 5 M-record world is ~3.5 GB of pages to record through the
# sandbox, ~40 min alone on the shared 2-core machine). Below ~1 M records the load step's peak is
# under DuckDB's 512MB cap, so a smaller pair would measure that cap, not the loader's growth.
REPLAY_MEMORY = (World(syncs=50, days=14, records=1_000_000), World(syncs=50, days=14, records=5_000_000))
# Cases 5, 6 and 8 (models, sync_anomalies build, delivery) on the README's large preset's runs:
# 1,000 syncs, 28 days, ~1.06 M runs, no records (the marts that matter read runs).
WAREHOUSE = World(syncs=1000, days=28, records=0)
ALERT_FLEET = Fleet()  # case 7: 1,000 syncs, 5% in breach, 1 M runs
MEMORY = (World(syncs=1000, days=28, records=1_000_000), World(syncs=1000, days=28, records=5_000_000))


@dataclass(frozen=True)
class Settings:
    """Sizes chosen so each case stresses what it is about (see the worlds above)."""

    workdir: Path
    repeat: int = 3
    http_concurrency: int = 8  # the source's default, also the ceiling's
    throughput: World = THROUGHPUT
    rest_api: World = REST_API
    latency: World = LATENCY
    memory: tuple[World, ...] = MEMORY
    replay: World = REPLAY
    noop: World = NOOP
    levers: bool = True  # case 4: also measure DuckDB memory_limit/threads and file rotation
    advance_s: int = 3600  # case 3: the clock move before the incremental load
    replay_memory: tuple[World, ...] = REPLAY_MEMORY
    warehouse: World = WAREHOUSE
    alert_fleet: Fleet = ALERT_FLEET  # case 7: 1,000 syncs, 5% in breach, 1 M runs
    # Round 2 by default (bench/run.py); round 1's sandbox cases with --only.
    cases: tuple[str, ...] = (
        "replay",
        "replay_latency",
        "noop",
        "alert",
        "replay_memory",
        "models",
        "delivery",
    )

    @classmethod
    def toy(cls, workdir: Path) -> Settings:
        """Seconds in total: the smoke test's sizes (structure, not speed)."""
        return cls(
            workdir=workdir,
            repeat=1,
            throughput=World(syncs=3, days=2, records=2_000),
            rest_api=World(syncs=2, days=2, records=1_000, plain_numbers=True),
            latency=World(syncs=3, days=2, records=500, latency_ms=20),
            memory=(World(syncs=3, days=2, records=1_000), World(syncs=3, days=2, records=3_000)),
            levers=False,
            replay=World(syncs=3, days=2, records=2_000),
            noop=World(syncs=12, days=2, records=1_000),
            replay_memory=(World(syncs=3, days=2, records=1_000), World(syncs=3, days=2, records=3_000)),
            warehouse=World(syncs=4, days=3, records=0),
            alert_fleet=Fleet(syncs=40, runs_per_sync=5),
        )
