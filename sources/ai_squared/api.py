"""AI Squared's endpoints: follow `links.next` until the real end, stop early where the cursor allows.

Multiwoven's `next` is never null past the last page (VENDORS.md, verified): a list that shrinks
between two requests (records moving to a newer run) would be followed for ever. A crawl ends on
an empty page, on the page `last` names, or on a URL it already asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sources import exact_json
from sources.exact_json import shadow
from sources.http import JSONAPI, BadRequest, ConfigError, NotFound, VendorClient, VendorError, paginate
from sources.toolkit import iso_ms
from sources.validate import RowError, Shape, accept, require, sink_for

from .auth import VENDOR
from .probe import threshold_text, triage
from .tables import RECORD_SHAPE, RUN_SHAPE, SYNC_SHAPE

API = "/api/v1"
SYNCS_PER_PAGE = 100  # the sync list: one request per hundred syncs
# Page 1 of an incremental read: a sync started every minute fills the 15-minute lookback window
# and 10 more minutes; a busier sync costs one more request (read in full). Every run on it is
# parsed on every load, so its size is most of a no-op load's time (bench/RESULTS.md, 3b).
PROBE_RUNS = 25


def rows(shape: Shape, page: list[Any], strict: bool = False, **context: Any) -> list[dict[str, Any]]:
    """A page's resources as checked rows; a malformed one is set aside (raw_ai_squared._rejected),
    or, with `strict` (the sync list, where a missing sync would read as deleted), fails the load.

    `context` holds the ids of the URL the page came from (`sync_id`, `sync_run_id`): the excerpts
    make every attribute optional, so a row without its parent's id takes it from there."""
    flat: list[dict[str, Any]] = []
    for resource in page:
        if isinstance(resource, dict) and isinstance(resource.get("attributes"), dict):
            # an attribute named `id` (the excerpts allow extra ones) must not replace the id
            flat.append({**context, **shadow(resource["attributes"], "id"), "id": resource.get("id")})
        elif strict:
            shown = str(resource)[:80]
            raise VendorError(VENDOR, f"sync list: a row without attributes ({shown}); nothing loaded")
        else:
            sink_for(VENDOR).add(shape, resource, RowError("attributes", "missing"), **context)
    if strict:
        return require(VENDOR, shape, flat, "sync list")
    return accept(VENDOR, shape, flat, **context)


class AiSquaredApi:
    def __init__(self, client: VendorClient, runs_per_page: int, records_per_page: int) -> None:
        self.client = client
        self.runs_per_page = runs_per_page
        self.records_per_page = records_per_page

    def get(self, url: str) -> Any:
        """One GET (a single sync or run)."""
        try:
            return self.client.get_json(url, loads=exact_json.loads)[0]
        except BadRequest as exc:
            raise _setting_error(exc) from None

    def pages(
        self, path: str, params: dict[str, Any], loads: Callable[[bytes], Any] = exact_json.loads
    ) -> Iterator[list[dict]]:
        """Each page's `data`, through the shared pager (sources/http/pager.py): `links.next` on
        the configured origin only, stopping on an empty page, the `last` page, a repeated URL or
        the page bound."""
        try:
            for page in paginate(self.client, path, params, links=JSONAPI, loads=loads):
                if page.items:
                    yield page.items
        except BadRequest as exc:
            raise _setting_error(exc) from None

    def sync(self, sync_id: int) -> dict | None:
        """One sync, checked as a listed one is, or None when the server answers 404 (deleted)."""
        try:
            body = self.get(f"{API}/syncs/{sync_id}")
        except NotFound:
            return None
        return rows(SYNC_SHAPE, [_data(body)], strict=True)[0]

    def run(self, sync_id: int, run_id: int) -> dict | None:
        """One run, checked as a listed one is; None when the server answers 404, or when the run
        was set aside (raw_ai_squared._rejected names why)."""
        try:
            body = self.get(f"{API}/syncs/{sync_id}/sync_runs/{run_id}")
        except NotFound:
            return None
        checked = rows(RUN_SHAPE, [_data(body)], sync_id=sync_id)
        return checked[0] if checked else None

    def syncs(self) -> list[dict]:
        pages = self.pages(f"{API}/syncs", {"per_page": SYNCS_PER_PAGE})
        return [row for page in pages for row in rows(SYNC_SHAPE, page, strict=True)]

    def runs_since(self, sync_id: int, threshold_ms: int | None) -> list[dict]:
        """Runs updated at or after `threshold_ms` (all when None), each once.

        Runs come newest `updated_at` first, so paging stops at the first page that reaches
        below the threshold. A run updated mid-crawl jumps to page 1 and pushes others down a
        page, so the same run can be met twice: keep its newest version.

        An incremental read first asks for one small page: most syncs have a handful of new
        runs, and a full-size page 1 per sync is most of a no-op load's time (on both sides of
        the wire). Only a sync with more new runs than the probe holds is then read at full
        page size from page 1 again (the probe's runs are simply met twice).
        """
        if threshold_ms is not None and self.runs_per_page > PROBE_RUNS:
            runs, complete = self._runs(sync_id, threshold_ms, PROBE_RUNS, max_pages=1)
            if complete:
                return runs
        return self._runs(sync_id, threshold_ms, self.runs_per_page)[0]

    def _runs(
        self, sync_id: int, threshold_ms: int | None, per_page: int, max_pages: int | None = None
    ) -> tuple[list[dict], bool]:
        """The runs read, and whether they are all there are down to the threshold."""
        seen: dict[int, dict] = {}
        threshold = threshold_text(threshold_ms)
        pages = self.pages(f"{API}/syncs/{sync_id}/sync_runs", {"per_page": per_page})
        for number, page in enumerate(pages, start=1):
            sorted_out = triage(page, threshold)  # runs older than the threshold cost no validation
            runs = rows(RUN_SHAPE, sorted_out.candidates, sync_id=sync_id)
            for run in runs:
                if threshold_ms is not None and iso_ms(run["updated_at"]) < threshold_ms:
                    continue
                old = seen.get(run["id"])
                if old is None or iso_ms(old["updated_at"]) <= iso_ms(run["updated_at"]):
                    seen[run["id"]] = run
            reached = sorted_out.ends_older or (
                threshold_ms is not None and runs and iso_ms(runs[-1]["updated_at"]) < threshold_ms
            )
            if reached or len(page) < per_page:
                return list(seen.values()), True
            if number == max_pages:
                return list(seen.values()), False
        return list(seen.values()), True

    def record_pages(self, sync_id: int, run_id: int, status: str | None) -> Iterator[list[dict]]:
        """A run's records page by page (a run can hold more records than fit in memory as dicts)."""
        params: dict[str, Any] = {"per_page": self.records_per_page}
        if status:
            params["status"] = status
        path = f"{API}/syncs/{sync_id}/sync_runs/{run_id}/sync_records"
        for page in self.pages(path, params):
            yield rows(RECORD_SHAPE, page, sync_id=sync_id, sync_run_id=run_id)


def _data(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) else body


def _setting_error(exc: BadRequest) -> Exception:
    """The server's 400 for a missing or foreign `Workspace-Id` names the setting (exit 2)."""
    if "workspace not found" in exc.body.lower():
        return ConfigError(
            VENDOR,
            "workspace not found (HTTP 400): check sources.ai_squared.workspace_id "
            "(the numeric id of a workspace the credentials belong to)",
        )
    return exc
