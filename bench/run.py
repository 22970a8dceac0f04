"""Every benchmark in one command: `python -m bench` (or `python -m bench.run`).

Runs the cases against sandboxes in their own processes, prints each target with its figure and
whether it is met, and writes bench/RESULTS.md (the tables, the machine, the date, the exact
commands). Full size takes tens of minutes on 2 cores; `--toy` runs everything at toy size in
seconds (what tests/bench/test_bench_smoke.py does), `--only` picks cases.

    python -m bench                       # round 2's cases, 3 repetitions, writes bench/RESULTS.md
    python -m bench --repeat 5 --only throughput --only latency   # round 1's, against the sandbox
    python -m bench --toy --out /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from bench import (
    alert_case,
    anomaly_build,
    cases_load,
    cases_replay,
    cases_replay_scale,
    cases_scale,
    delivery,
)
from bench.results import Case, machine, write
from bench.settings import Settings
from pipelines.models import build

# Round 1 (against the sandbox): throughput (cases 1 and 3), latency (2), memory (4). Round 2 (the
# replay server; the default): replay (1b), replay_latency (2b), noop (3b), replay_memory (4b), then
# models (5 and 6) and delivery (8) on a 1 M-run warehouse, and alert (7) on marts of its own.
CASES = ("throughput", "latency", "memory", "models", "replay", "noop", "replay_latency", "replay_memory")
CASES += ("alert", "delivery")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def run_cases(settings: Settings, log: bool = True) -> list[Case]:
    """The selected cases in order. Models and delivery need a loaded 1,000-sync warehouse: case 4's
    when memory runs, else one load of `settings.warehouse` from the replay server."""
    say = print if log else (lambda *_: None)
    cases: list[Case] = []
    selected = set(settings.cases)
    if "throughput" in selected:
        say("case 1 + 3: throughput and incremental ...", flush=True)
        cases += cases_load.throughput_and_incremental(settings)
    if "latency" in selected:
        say("case 2: latency hiding ...", flush=True)
        cases.append(cases_load.latency(settings))
    warehouse = None
    if "memory" in selected:
        say("case 4: memory ...", flush=True)
        case, warehouse = cases_scale.memory(settings)
        cases.append(case)
    if "replay" in selected:
        say("case 1b: throughput on the replay server ...", flush=True)
        cases.append(cases_replay.throughput(settings))
    if "replay_latency" in selected:
        say("case 2b: latency hiding on the replay server ...", flush=True)
        cases.append(cases_replay_scale.latency(settings))
    if "noop" in selected:
        say("case 3b: no-op on 1,000 syncs on the replay server ...", flush=True)
        cases.append(cases_replay.noop(settings))
    if "alert" in selected:
        say("case 7: syncscope alert on 1,000 syncs ...", flush=True)
        cases.append(alert_case.case(settings.repeat, settings.workdir, settings.alert_fleet))
    if "replay_memory" in selected:
        say("case 4b: memory on the replay server ...", flush=True)
        cases.append(cases_replay_scale.memory(settings)[0])
    world = settings.memory[-1]
    if {"models", "delivery"} & selected and warehouse is None:
        say(f"loading a warehouse of {settings.warehouse.describe()} from the replay server ...", flush=True)
        warehouse, world = cases_replay_scale.warehouse(settings), settings.warehouse
    if "models" in selected:
        assert warehouse is not None
        say("case 5: models ...", flush=True)
        cases.append(cases_scale.models(settings, warehouse, world))
        say("case 6: sync_anomalies build cost ...", flush=True)
        cases.append(anomaly_build.case(settings.repeat, warehouse))
    if "delivery" in selected:
        assert warehouse is not None
        if "models" not in selected:
            build(warehouse)
        say("case 8: delivery to PostgreSQL ...", flush=True)
        cases.append(delivery.case(settings.repeat, warehouse))
    order = ["throughput", "replay", "latency", "replay_latency", "incremental", "noop", "memory"]
    order += ["replay_memory", "models", "anomalies", "alert", "delivery"]
    return sorted(cases, key=lambda c: order.index(c.key))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per case (medians reported)")
    parser.add_argument("--only", action="append", choices=CASES, help="run only this case (repeatable)")
    parser.add_argument("--records", type=int, help="case 1/3 world's --records (default 1,100,000)")
    parser.add_argument(
        "--memory-records",
        help="case 4b's two volumes, e.g. 1000000,5000000 (default 1000000,5000000; same syncs and days)",
    )
    parser.add_argument("--no-levers", action="store_true", help="case 4: skip the DuckDB/dlt lever loads")
    parser.add_argument("--toy", action="store_true", help="toy sizes: seconds, for smoke tests")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (warehouses)")
    return parser


def main(argv: list[str] | None = None) -> list[Case]:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="syncscope-bench-"))
    settings = Settings.toy(workdir) if args.toy else Settings(workdir)
    changes: dict[str, object] = {"repeat": args.repeat if not args.toy or "--repeat" in argv else 1}
    if args.only:
        changes["cases"] = tuple(args.only)
    if args.no_levers:
        changes["levers"] = False
    if args.memory_records:
        shape = settings.replay_memory[0]
        volumes = [int(n) for n in args.memory_records.split(",")]
        changes["replay_memory"] = tuple(dataclasses.replace(shape, records=n) for n in volumes)
    if args.records:
        changes["throughput"] = dataclasses.replace(settings.throughput, records=args.records)
    settings = dataclasses.replace(settings, **changes)
    info = machine()
    started = time.perf_counter()
    try:
        cases = run_cases(settings)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    write(args.out, cases, info, argv, (time.perf_counter() - started) / 60)
    print()
    for target in [t for case in cases for t in case.targets]:
        print(target.line())
    print(f"\nwrote {args.out}")
    return cases


if __name__ == "__main__":
    main()
