"""Paragon's HTTP face: the public Sync API and the sandbox's admin/truth endpoints.

Public (Bearer Paragon User Token):
- GET /api/syncs[?credentialId=]  -> {"data": [{id, integration, pipeline, status, reason?, credentialId}]}
- GET /api/syncs/{syncId}         -> SyncStatus
Errors are Paragon's: 401 {"message": "Unauthorized"}, 404 {"message": "Sync not found"}.

Admin (no auth, never faulted; under /_sandbox/paragon/):
- PATCH syncs/{sync_id}            {"status": DISABLED|ERRORED|ACTIVE|IDLE|ENABLED, "reason"?}
- GET truth/syncs, truth/syncs/{sync_id}, truth/syncs/{sync_id}/transitions,
  truth/cycles[?sync_id=&until=<ms or ISO>], truth/tokens
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from sandbox.clock import parse_iso
from sandbox.http import Request, Response, Router, json_response
from sandbox.tokens import bearer

if TYPE_CHECKING:
    from sandbox.paragon.world import ParagonWorld

ADMIN = "/_sandbox/paragon"
UNAUTHORIZED = {"message": "Unauthorized"}
NOT_FOUND = {"message": "Sync not found"}


def build_router(world: ParagonWorld) -> Router:
    router = Router()

    def list_syncs(request: Request) -> Response:
        user = world.authenticate(bearer(request.headers))
        if user is None:
            return json_response(401, UNAUTHORIZED)
        credential = request.param("credentialId") or None
        items = [world.list_item(spec) for spec in world.syncs_of(user, credential)]
        return json_response(200, {"data": items})

    def get_sync(request: Request, sync_id: str) -> Response:
        user = world.authenticate(bearer(request.headers))
        if user is None:
            return json_response(401, UNAUTHORIZED)
        spec = world.spec(unquote(sync_id))
        if spec is None or spec.user_id != user:  # another user's sync is as good as absent
            return json_response(404, NOT_FOUND)
        return _raw_json(200, world.status_bytes(spec.id))

    router.add("GET", "/api/syncs", list_syncs)
    router.add("GET", "/api/syncs/{sync_id}", get_sync)
    return router


def _raw_json(status: int, body: bytes) -> Response:
    """Serve cached bytes as they are, so an unchanged world answers byte-identically."""
    response = json_response(status, None)
    response.body = body
    return response


def _admin_error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def _until(raw: str | None) -> int | None:
    """`until` as epoch ms or an ISO-8601 instant; ValueError otherwise."""
    if raw is None or raw == "":
        return None
    return int(raw) if raw.lstrip("-").isdigit() else parse_iso(raw)


def add_admin_routes(world: ParagonWorld, admin: Router) -> None:
    def patch_sync(request: Request, sync_id: str) -> Response:
        sync_id = unquote(sync_id)
        if world.spec(sync_id) is None:
            return _admin_error(404, f"no Paragon sync {sync_id!r}")
        try:
            body = request.json()
        except ValueError:
            return _admin_error(400, "body must be JSON")
        if not isinstance(body, dict) or set(body) - {"status", "reason"} or "status" not in body:
            return _admin_error(400, 'body must be {"status": ..., "reason"?: ...}')
        try:
            status = world.set_status(sync_id, body["status"], body.get("reason"))
        except ValueError as exc:
            return _admin_error(400, str(exc))
        return json_response(200, status)

    def truth_syncs(_: Request) -> Response:
        return json_response(200, {"data": world.truth_syncs()})

    def truth_status(_: Request, sync_id: str) -> Response:
        sync_id = unquote(sync_id)
        if world.spec(sync_id) is None:
            return _admin_error(404, f"no Paragon sync {sync_id!r}")
        return _raw_json(200, world.status_bytes(sync_id))

    def truth_transitions(_: Request, sync_id: str) -> Response:
        sync_id = unquote(sync_id)
        if world.spec(sync_id) is None:
            return _admin_error(404, f"no Paragon sync {sync_id!r}")
        return json_response(200, {"data": world.truth_transitions(sync_id)})

    def truth_cycles(request: Request) -> Response:
        sync_id = request.param("sync_id") or None
        if sync_id is not None and world.spec(sync_id) is None:
            return _admin_error(404, f"no Paragon sync {sync_id!r}")
        try:
            until = _until(request.param("until"))
        except ValueError:
            return _admin_error(400, "until must be epoch milliseconds or an ISO-8601 instant")
        return json_response(200, {"data": world.truth_cycles(sync_id, until)})

    def truth_tokens(_: Request) -> Response:
        pairs = [{"user_id": u, "token": world.token_of(u)} for u in world.users]
        return json_response(200, {"project_id": world.project_id, "data": pairs})

    admin.add("PATCH", f"{ADMIN}/syncs/{{sync_id}}", patch_sync)
    admin.add("GET", f"{ADMIN}/truth/syncs", truth_syncs)
    admin.add("GET", f"{ADMIN}/truth/syncs/{{sync_id}}", truth_status)
    admin.add("GET", f"{ADMIN}/truth/syncs/{{sync_id}}/transitions", truth_transitions)
    admin.add("GET", f"{ADMIN}/truth/cycles", truth_cycles)
    admin.add("GET", f"{ADMIN}/truth/tokens", truth_tokens)
