"""How fast a large sandbox world starts and how much memory serving it takes.

Starts `syncscope sandbox` in its own process (so the figure is the sandbox's alone), waits for
its env file, then crawls every vendor once the way a full load would: AI Squared's sync list
and page 1 of every sync's runs, Timbal's list and every sync's detail, Paragon's lists and every
sync's status. Samples the sandbox's RSS throughout and prints the figures.

    python -m bench.sandbox_scale --syncs 1000 --records 5000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from bench.sandbox_proc import read_env_file


def _env(path: Path) -> dict[str, str]:
    return read_env_file(path)


def crawl(env: dict[str, str], workers: int = 8) -> int:
    """One request per sync and vendor (plus the lists); returns the number of requests."""
    count = 0
    ai = httpx.Client(
        base_url=env["SOURCES__AI_SQUARED__BASE_URL"],
        headers={
            "Authorization": f"Bearer {env['SOURCES__AI_SQUARED__API_TOKEN']}",
            "Workspace-Id": env["SOURCES__AI_SQUARED__WORKSPACE_ID"],  # without it: 400
        },
        timeout=120,
    )
    syncs, url = [], "/api/v1/syncs?per_page=100"
    while url:
        body = ai.get(url).raise_for_status().json()
        syncs += [s["id"] for s in body["data"]]
        url, count = body["links"]["next"], count + 1
    tb = httpx.Client(
        base_url=env["SOURCES__TIMBAL__BASE_URL"],
        headers={"Authorization": f"Bearer {env['SOURCES__TIMBAL__API_KEY']}"},
        timeout=120,
    )
    org = env["SOURCES__TIMBAL__ORG_ID"]
    timbal = tb.get(f"/orgs/{org}/connectors/syncs").raise_for_status().json()["syncs"]
    pg = httpx.Client(base_url=env["SOURCES__PARAGON__BASE_URL"], timeout=120)
    paragon = []
    for token in json.loads(env["SOURCES__PARAGON__USER_TOKENS"]):
        headers = {"Authorization": f"Bearer {token}"}
        listed = pg.get("/api/syncs", headers=headers).raise_for_status().json()["data"]
        paragon += [(s["id"], headers) for s in listed]
    count += 1 + len(json.loads(env["SOURCES__PARAGON__USER_TOKENS"]))
    jobs = [lambda s=s: ai.get(f"/api/v1/syncs/{s}/sync_runs?per_page=500").raise_for_status() for s in syncs]
    jobs += [
        lambda s=s: tb.get(f"/orgs/{org}/connectors/{s['connector_id']}/syncs/{s['id']}").raise_for_status()
        for s in timbal
    ]
    jobs += [lambda s=s, h=h: pg.get(f"/api/syncs/{s}", headers=h).raise_for_status() for s, h in paragon]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda job: job(), jobs))
    return count + len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syncs", type=int, default=1000)
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / "sandbox.env"
        size = ["--syncs", str(args.syncs), "--records", str(args.records), "--days", str(args.days)]
        command = [sys.executable, "-m", "pipelines.cli", "sandbox", *size, "--env-file", str(env_file)]
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not env_file.exists():
                if proc.poll() is not None:
                    raise SystemExit("the sandbox exited before it served")
                time.sleep(0.02)
            startup = time.perf_counter() - started
            peak, stop = [0], threading.Event()

            def sample() -> None:
                process = psutil.Process(proc.pid)
                while not stop.is_set():
                    peak[0] = max(peak[0], process.memory_info().rss)
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            crawl_started = time.perf_counter()
            requests = crawl(_env(env_file))
            crawl_s = time.perf_counter() - crawl_started
            stop.set()
            sampler.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"world: {args.syncs} syncs per vendor, {args.days} days, {args.records:,} AI Squared records")
    print(f"startup to serving: {startup:.2f} s")
    print(f"full crawl: {requests:,} requests in {crawl_s:.1f} s")
    print(f"sandbox peak RSS: {peak[0] / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
