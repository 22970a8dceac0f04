"""AI Squared's admin endpoints under /_sandbox/ai_squared/: truth, edits done now, armed hooks.

No auth: they are loopback test control, never faulted and never counted by hooks.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.http import Request, Response, Router, json_response

from .api import exact_json_response
from .model import RECORD_STATUSES

BASE = "/_sandbox/ai_squared"


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def _body(request: Request) -> dict:
    try:
        body = request.json()
    except ValueError as exc:
        raise ValueError("body must be JSON") from exc
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _doing(make: Callable[[], dict]) -> Response:
    """Run an edit; a bad request is 400, an unknown sync, run or connector 404."""
    try:
        return json_response(200, make())
    except LookupError as exc:
        return _error(404, str(exc.args[0]) if exc.args else "not found")
    except ValueError as exc:
        return _error(400, str(exc))


def add_admin_routes(world, admin: Router) -> None:  # world: AiSquaredWorld
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
            return json_response(400, {"errors": {"status": ["must be a valid status"]}})
        records = world.truth_records(
            optional_int(request, "sync_id"), optional_int(request, "run_id"), status
        )
        return exact_json_response(200, {"data": list(records)})

    def truth_counts(_: Request) -> Response:
        return json_response(200, world.truth_counts())

    def truth_connectors(_: Request) -> Response:
        return json_response(200, {"data": world.truth_connectors()})

    def delete_sync(_: Request, sync_id: str) -> Response:
        return _doing(lambda: world.hooks.act({"type": "delete_sync", "sync_id": sync_id}))

    def patch_sync(request: Request, sync_id: str) -> Response:
        action = {"type": "edit_sync", "sync_id": sync_id}
        return _doing(lambda: world.hooks.act({**action, "changes": _body(request)}))

    def patch_connector(request: Request, connector_id: str) -> Response:
        return _doing(
            lambda: world.hooks.act(
                {"type": "rename_connector", "connector_id": connector_id, "name": _body(request).get("name")}
            )
        )

    def act(request: Request) -> Response:
        return _doing(lambda: world.hooks.act(_body(request)))

    def arm(request: Request) -> Response:
        return _doing(lambda: world.hooks.arm(_body(request)))

    def hooks(_: Request) -> Response:
        return json_response(200, {"hooks": world.hooks.listing()})

    def clear_hooks(_: Request) -> Response:
        world.hooks.clear()
        return json_response(200, {"hooks": []})

    admin.add("GET", f"{BASE}/truth/syncs", truth_syncs)
    admin.add("GET", f"{BASE}/truth/runs", truth_runs)
    admin.add("GET", f"{BASE}/truth/records", truth_records)
    admin.add("GET", f"{BASE}/truth/counts", truth_counts)
    admin.add("GET", f"{BASE}/truth/connectors", truth_connectors)
    admin.add("DELETE", f"{BASE}/syncs/{{sync_id}}", delete_sync)
    admin.add("PATCH", f"{BASE}/syncs/{{sync_id}}", patch_sync)
    admin.add("PATCH", f"{BASE}/connectors/{{connector_id}}", patch_connector)
    admin.add("POST", f"{BASE}/actions", act)
    admin.add("POST", f"{BASE}/hooks", arm)
    admin.add("GET", f"{BASE}/hooks", hooks)
    admin.add("DELETE", f"{BASE}/hooks", clear_hooks)
