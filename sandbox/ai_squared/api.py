"""AI Squared's HTTP surface: auth, kaminari-style paging with JSON:API links, error bodies."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import numpy as np

from sandbox.http import JSON, Request, Response, Router, json_response
from sandbox.tokens import bearer

from .model import FILTER_STATUSES, RECORD_STATUSES
from .serialize import dumps, record_resources, run_resource

DEFAULT_PER_PAGE = 10
LEADING_INT = re.compile(r"\s*([+-]?\d+(?:_\d+)*)")
WORKSPACE_NOT_FOUND = {
    "errors": [
        {
            "status": 400,
            "title": "Bad Request",
            "detail": "There was a problem with the request format: Workspace not found",
        }
    ]
}


def _errors(status: int, detail: str) -> Response:
    return json_response(status, {"errors": [{"status": status, "title": "Error", "detail": detail}]})


def exact_json_response(status: int, payload: object) -> Response:
    """Like json_response, but integers beyond 64 bits are written exactly (record values)."""
    return Response(status, dumps(payload), [("Content-Type", JSON)])


def header_workspace(value: str | None) -> int:
    """The workspace id the server reads from the header: Ruby's to_i, a leading integer or 0."""
    match = LEADING_INT.match(value or "")
    return int(match.group(1).replace("_", "")) if match else 0


def _invalid(field: str, message: str) -> Response:
    return json_response(400, {"errors": {field: [message]}})


class _Page:
    """page/per_page parsed from a request, or the 400 response they deserve."""

    def __init__(self, request: Request) -> None:
        self.error: Response | None = None
        self.page = self._number(request, "page", 1)
        self.per_page = self._number(request, "per_page", DEFAULT_PER_PAGE)

    def _number(self, request: Request, name: str, default: int) -> int:
        raw = request.param(name)
        if raw is None or raw == "":
            return default
        if not raw.isdigit() or int(raw) < 1:
            self.error = self.error or _invalid(name, "must be a positive integer")
            return default
        return int(raw)

    def window(self) -> slice:
        """This page's window into the full, ordered list (past the end it is simply empty)."""
        start = (self.page - 1) * self.per_page
        return slice(start, start + self.per_page)

    def links(self, request: Request, total: int) -> dict[str, str | None]:
        """JSON:API links as the server writes them: `self` repeats the request's query string
        verbatim (a bare `?` without one); `next` is null only on the last page itself, so a page
        past the end points one further, for ever; an empty list's last page is 1."""
        last = max(1, -(-total // self.per_page))
        params = {k: v for k, v in request.query if k not in ("page", "per_page")}

        def url(page: int) -> str:
            query = sorted({**params, "page": str(page), "per_page": str(self.per_page)}.items())
            return f"{request.base_url}{request.path}?{urlencode(query)}"

        return {
            "self": f"{request.base_url}{request.path}?{urlsplit(request.target).query}",
            "first": url(1),
            "prev": url(self.page - 1) if self.page > 1 else None,
            "next": None if self.page == last else url(self.page + 1),
            "last": url(last),
        }


def _listing(request: Request, statuses: tuple[str, ...]) -> tuple[str | None, _Page]:
    """The status filter and page of a list request; a bad one becomes page.error (a 400)."""
    page = _Page(request)
    status = request.param("status")
    if status is not None and status not in statuses:
        page.error = _invalid("status", "must be a valid status")
    return status, page


def build_router(world) -> Router:  # world: AiSquaredWorld
    router = Router()

    def authorised(request: Request) -> Response | None:
        token = bearer(request.headers)
        if not token or not world.token_valid(token):
            return _errors(401, "Unauthorized")
        if header_workspace(request.headers.get("workspace-id")) != world.workspace_id:
            return json_response(400, WORKSPACE_NOT_FOUND)
        return None

    def find_sync(sync_id: str):
        return world.syncs.get(int(sync_id)) if sync_id.isdigit() else None

    def login(request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            body = None
        creds = body if isinstance(body, dict) else {}
        token = world.login(str(creds.get("email", "")), str(creds.get("password", "")))
        if token is None:
            return _errors(401, "Invalid login credentials")
        return json_response(200, {"data": {"type": "token", "id": "1", "attributes": {"token": token}}})

    def resolve(request: Request, sync_id: str, run_id: str | None = None, run_missing: str = "") -> tuple:
        """(error response or None, sync, run index): auth first, then the sync, then the run."""
        if denied := authorised(request):
            return denied, None, None
        sync = find_sync(sync_id)
        if sync is None:
            return _errors(404, "Sync not found"), None, None
        if run_id is None:
            return None, sync, None
        k = world.run_index(sync, int(run_id)) if run_id.isdigit() else None
        return (_errors(404, run_missing) if k is None else None), sync, k

    def list_syncs(request: Request) -> Response:
        if denied := authorised(request):
            return denied
        page = _Page(request)
        if page.error:
            return page.error
        items = world.sync_resources()
        return json_response(200, {"data": items[page.window()], "links": page.links(request, len(items))})

    def get_sync(request: Request, sync_id: str) -> Response:
        error, sync, _ = resolve(request, sync_id)
        if error:
            return error
        return json_response(
            200, {"data": next(s for s in world.sync_resources() if s["id"] == str(sync.id))}
        )

    def list_runs(request: Request, sync_id: str) -> Response:
        error, sync, _ = resolve(request, sync_id)
        status, page = _listing(request, FILTER_STATUSES)
        if error or page.error:
            return error or page.error
        order = world.run_order(sync, status)
        runs = world.runs(sync)
        data = [run_resource(sync, runs, int(k)) for k in order[page.window()]]
        return json_response(200, {"data": data, "links": page.links(request, len(order))})

    def get_run(request: Request, sync_id: str, run_id: str) -> Response:
        error, sync, k = resolve(request, sync_id, run_id, "Sync Run not found")
        if error:
            return error
        return json_response(200, {"data": run_resource(sync, world.runs(sync), k)})

    def list_records(request: Request, sync_id: str, run_id: str) -> Response:
        error, sync, k = resolve(request, sync_id, run_id, "SyncRun not found")
        status, page = _listing(request, RECORD_STATUSES)
        if error or page.error:
            return error or page.error
        pos = world.record_positions(sync, k, status)
        chosen = np.asarray(pos[page.window()])
        data = record_resources(sync, world.runs(sync), world.records(sync), chosen)
        return exact_json_response(200, {"data": data, "links": page.links(request, len(pos))})

    prefix = "/api/v1/syncs"
    hooked = world.hooks.around
    router.add("POST", "/api/v1/login", hooked(login))
    router.add("GET", prefix, hooked(list_syncs))
    router.add("GET", prefix + "/{sync_id}", hooked(get_sync))
    router.add("GET", prefix + "/{sync_id}/sync_runs", hooked(list_runs))
    router.add("GET", prefix + "/{sync_id}/sync_runs/{run_id}", hooked(get_run))
    router.add("GET", prefix + "/{sync_id}/sync_runs/{run_id}/sync_records", hooked(list_records))
    return router
