"""Where a measured load spends its time: one worker load under py-spy, summarised.

Used when a target is missed, to find the bottleneck with evidence rather than by guessing.
py-spy is not a project dependency (`pip install py-spy` into the venv to use this). Two views:

- `--gil` (default): only the thread holding the GIL is sampled, so the samples show who uses
  the one core a Python process can use, and the share of samples with *nobody* holding it
  shows how long the process sat waiting (on the sandbox, on DuckDB, on the network).
- `--all-threads`: every thread that is not idle, to see where workers wait.

    python -m bench.profile --syncs 50 --days 14 --records 1100000
    python -m bench.profile --syncs 1000 --days 28 --records 5000000 --all-threads
    python -m bench.profile --records 500000 --replay --flame bench/out/flame.svg

`--replay` loads from the replay server (bench/replay.py, recorded from the sandbox first), so
the samples show syncscope's own costs rather than its wait on the sandbox; `--flame` also keeps
an SVG flame graph of a second, identical load (py-spy writes one format per recording).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.cases_load import SYNCSCOPE_ENV
from bench.measure import ISOLATED, ROOT
from bench.replay_proc import ReplayProcess
from bench.sandbox_proc import SandboxProcess, World

RATE = 100  # samples per second


def _group(thread: str) -> str:
    """`thread (123): "ai_sq_records_3"` -> `ai_sq_records` (pools are reported as one)."""
    match = re.search(r'"([^"]*?)_?\d*"', thread)
    return match.group(1) if match else thread


def _frame(frame: str) -> str:
    """`fn (/long/site-packages/pkg/mod.py:12)` -> `fn (pkg/mod.py:12)`; the project's paths stay whole."""
    name, _, where = frame.partition(" (")
    if where.startswith("/"):
        where = "/".join(where.rsplit("/", 2)[-2:])
    return f"{name} ({where}" if where else name


def summarise(raw: Path, seconds: float, top: int = 12) -> str:
    """Samples per thread group, and the frames that hold them (own time and inclusive)."""
    by_group: collections.Counter[str] = collections.Counter()
    own: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    inclusive: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        group, n = _group(frames[0]), int(count)
        by_group[group] += n
        calls = [_frame(f) for f in frames[1:]]
        if calls:
            own[group][calls[-1]] += n
        for call in set(calls):
            inclusive[group][call] += n
    possible = seconds * RATE
    out = [f"{seconds:.1f} s sampled at {RATE}/s; {sum(by_group.values()) / possible:.0%} of samples busy"]
    for group, n in by_group.most_common():
        out.append(f"\n{group}: {n / possible:.1%} of wall time")
        out += [f"  own  {c / possible:6.1%}  {frame}" for frame, c in own[group].most_common(top)]
        ours = inclusive[group].most_common(top * 3)
        wanted = [(f, c) for f, c in ours if "sources/" in f or "bench/" in f]
        out += [f"  incl {c / possible:6.1%}  {frame}" for frame, c in wanted[:top]]
    return "\n".join(out)


def _server(world: World, tmp: Path, replay: bool) -> SandboxProcess | ReplayProcess:
    """The sandbox, or a replay server recorded from it by one crawl of a full load's pages."""
    if not replay:
        return SandboxProcess(world, tmp)
    from bench.measure import run_worker

    def record(server: ReplayProcess) -> None:
        run_worker("ceiling", tmp / "unused.duckdb", server.env)

    return ReplayProcess(world, tmp, {"full": record})


def profile(
    world: World,
    kind: str,
    extra: dict[str, str],
    gil: bool,
    out: Path,
    replay: bool = False,
    flame: Path | None = None,
) -> str:
    """Start the world, load it once under py-spy, return the summary (raw samples in `out`)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory() as tmp, _server(world, Path(tmp), replay) as box:
        env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED)}
        env.update({**box.env, **extra, "RUNTIME__DLTHUB_TELEMETRY": "false"})
        flags = ["--gil"] if gil else ["--threads"]
        seconds = 0.0
        for n, (fmt, path) in enumerate([("raw", out)] + ([("flamegraph", flame)] if flame else [])):
            worker = [sys.executable, "-m", "bench.worker", kind, "--db", str(Path(tmp) / f"p{n}.duckdb")]
            command = [spy, "record", "-r", str(RATE), "-f", fmt, "-o", str(path), "--threads", *flags, "--"]
            started = time.perf_counter()
            subprocess.run([*command, *worker], cwd=ROOT, env=env, check=True, capture_output=True)
            seconds = seconds or time.perf_counter() - started
    return summarise(out, seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--syncs", type=int, default=50)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--records", type=int, default=1_100_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--kind", default="syncscope", choices=("syncscope", "ceiling", "rest_api"))
    parser.add_argument("--all-threads", action="store_true", help="every busy thread, not the GIL holder")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="extra env")
    parser.add_argument("--out", type=Path, default=Path("profile.raw.txt"), help="py-spy's raw samples")
    parser.add_argument("--replay", action="store_true", help="load from the replay server, not the sandbox")
    parser.add_argument("--flame", type=Path, help="also write an SVG flame graph (a second load)")
    args = parser.parse_args(argv)
    world = World(args.syncs, args.days, args.records, args.latency_ms)
    extra = {**(SYNCSCOPE_ENV if args.kind == "syncscope" else {}), **dict(s.split("=", 1) for s in args.set)}
    print(profile(world, args.kind, extra, not args.all_threads, args.out, args.replay, args.flame))


if __name__ == "__main__":
    main()
