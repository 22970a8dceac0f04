"""AI Squared's HTTP surface: auth, kaminari-style paging with JSON:API links, error bodies."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np

from sandbox.http import Request, Response, Router, json_response
from sandbox.tokens import bearer

from .model import FILTER_STATUSES, RECORD_STATUSES
from .serialize import record_resources, run_resource

DEFAULT_PER_PAGE = 10


def _errors(status: int, detail: str) -> Response:
    return json_response(status, {"errors": [{"status": status, "title": "Error", "detail": detail}]})


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
        last = max(1, -(-total // self.per_page))
        params = {k: v for k, v in request.query if k not in ("page", "per_page")}

        def url(page: int) -> str:
            query = sorted({**params, "page": str(page), "per_page": str(self.per_page)}.items())
            return f"{request.base_url}{request.path}?{urlencode(query)}"

        return {
            "self": url(self.page),
            "first": url(1),
            "prev": url(self.page - 1) if self.page > 1 else None,
            "next": url(self.page + 1) if self.page < last else None,
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
        workspace = request.headers.get("workspace-id")
        if workspace is not None and workspace != str(world.workspace_id):
            return _errors(403, "You are not authorized to access this workspace")
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
        return json_response(200, {"data": data, "links": page.links(request, len(pos))})

    prefix = "/api/v1/syncs"
    router.add("POST", "/api/v1/login", login)
    router.add("GET", prefix, list_syncs)
    router.add("GET", prefix + "/{sync_id}", get_sync)
    router.add("GET", prefix + "/{sync_id}/sync_runs", list_runs)
    router.add("GET", prefix + "/{sync_id}/sync_runs/{run_id}", get_run)
    router.add("GET", prefix + "/{sync_id}/sync_runs/{run_id}/sync_records", list_records)
    return router


def add_admin_routes(world, admin: Router) -> None:
    """Truth and world edits under /_sandbox/ai_squared/ (no auth: loopback test control)."""

    def optional_int(request: Request, name: str) -> int | None:
        raw = request.param(name)
        return int(raw) if raw and raw.isdigit() else None

    def truth_syncs(_: Request) -> Response:
        return json_response(200, {"data": world.truth_syncs()})

    def truth_runs(request: Request) -> Response:
        return json_response(200, {"data": world.truth_runs(optional_int(request, "sync_id"))})

    def truth_records(request: Request) -> Response:
        status = request.param("status")
        if status is not None and status not in RECORD_STATUSES:
            return _invalid("status", "must be a valid status")
        records = world.truth_records(
            optional_int(request, "sync_id"), optional_int(request, "run_id"), status
        )
        return json_response(200, {"data": list(records)})

    def truth_counts(_: Request) -> Response:
        return json_response(200, world.truth_counts())

    def delete_sync(_: Request, sync_id: str) -> Response:
        if not (sync_id.isdigit() and world.remove_sync(int(sync_id))):
            return json_response(404, {"error": "no such sync"})
        return json_response(200, {"deleted": int(sync_id)})

    admin.add("GET", "/_sandbox/ai_squared/truth/syncs", truth_syncs)
    admin.add("GET", "/_sandbox/ai_squared/truth/runs", truth_runs)
    admin.add("GET", "/_sandbox/ai_squared/truth/records", truth_records)
    admin.add("GET", "/_sandbox/ai_squared/truth/counts", truth_counts)
    admin.add("DELETE", "/_sandbox/ai_squared/syncs/{sync_id}", delete_sync)
