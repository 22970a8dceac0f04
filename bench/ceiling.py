"""The ceiling: fetch and parse every page a full AI Squared load needs, and load nothing.

It uses what syncscope's source uses on the wire (httpx, one pooled client, the same page sizes
and the same bounded concurrency via `sources.concurrency.map_completed`) and the same request
plan (the sync list, every sync's runs, then the records of every failed or canceled run and of
every succeeded run with rows), so the only difference from a real load is everything after
parsing the JSON. A loader cannot beat
this figure against the same sandbox; how close it gets is what the benchmark reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from sources import exact_json
from sources.concurrency import map_completed

API = "/api/v1"


def _pages(
    client: httpx.Client, url: str, params: dict[str, Any] | None, loads: Any = orjson.loads
) -> Iterator[list[dict]]:
    """Each page's `data`, following `links.next` until an empty page or `last`, as the source does."""
    next_url: str | None = url
    while next_url:
        response = client.get(next_url, params=params)
        response.raise_for_status()
        body = loads(response.content)
        data = body.get("data") or []
        yield data
        links = body.get("links") or {}
        if not data or _page(str(response.url)) >= _page(links.get("last")):
            return
        next_url, params = links.get("next"), None


def _page(url: str | None) -> int:
    return int(parse_qs(urlsplit(url or "").query).get("page", ["1"])[0])


def crawl(
    base_url: str,
    token: str,
    workspace_id: str | None = None,
    concurrency: int = 8,
    runs_per_page: int = 500,
    records_per_page: int = 1000,  # the source's default (sources/ai_squared/settings.py)
) -> dict[str, int]:
    """Rows parsed per table, as a load would report them, plus the requests made."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if workspace_id:
        headers["Workspace-Id"] = str(workspace_id)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    requests = 0

    def count(_: httpx.Response) -> None:
        nonlocal requests
        requests += 1  # the GIL makes += on an int in a hook safe enough for a counter

    with httpx.Client(
        base_url=base_url, headers=headers, limits=limits, timeout=120, event_hooks={"response": [count]}
    ) as client:
        syncs = [r for page in _pages(client, f"{API}/syncs", {"per_page": 100}) for r in page]

        def runs_of(sync_id: str) -> list[dict]:
            path = f"{API}/syncs/{sync_id}/sync_runs"
            return [r for page in _pages(client, path, {"per_page": runs_per_page}) for r in page]

        wanted: list[tuple[str, str]] = []
        runs = 0
        for sync_id, future in map_completed(runs_of, [s["id"] for s in syncs], concurrency):
            for run in future.result():
                runs += 1
                attributes = run["attributes"]
                status = attributes["status"]
                if status in ("failed", "canceled") or (status == "success" and attributes["total_rows"]):
                    wanted.append((sync_id, run["id"]))

        def records_of(job: tuple[str, str]) -> int:
            path = f"{API}/syncs/{job[0]}/sync_runs/{job[1]}/sync_records"
            pages = _pages(client, path, {"per_page": records_per_page}, exact_json.loads)
            return sum(len(page) for page in pages)

        records = sum(future.result() for _, future in map_completed(records_of, wanted, concurrency))
    return {"syncs": len(syncs), "sync_runs": runs, "sync_records": records, "requests": requests}
