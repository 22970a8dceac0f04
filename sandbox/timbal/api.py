"""Timbal's HTTP endpoints: the two public ones, plus admin (truth, config changes).

Public:
* `GET /orgs/{org_id}/connectors/{connector_id}/syncs/{sync_id}` -> SyncDetailRes, as the spec
  (`sandbox/specs/timbal_get_connector_sync.md`) says.
* `GET /orgs/{org_id}/connectors/syncs[?connector_id=...]` -> `{"syncs": [SyncView, ...]}`.
  The real list response is undocumented; this shape is our choice: every sync of the org (or of
  one connector; an unknown or empty `connector_id` filter lists none / all), ordered by
  created_at then id, in one response with no pagination. A client should also accept a bare
  list or a paginated variant if the real API turns out to differ.

Auth: `Authorization: Bearer <api key>`. A missing or wrong key, or an org the key does not
belong to, is 403 `{"error": {"code": "forbidden", "message": ...}}`. An unknown sync, or one not
under the connector in the path, is 404 `{"error": {"code": "not_found", "message":
"Sync not found"}}`.

Admin (no auth, never faulted; under `/_sandbox/timbal/`):
* `PATCH syncs/{sync_id}` body `{"enabled"?, "interval_secs"?, "name"?, "cursor_column"?,
  "dest_table"?}` -> `{"sync": SyncView}`; 400 `{"error": ...}` on bad fields, 404 unknown sync.
* `GET truth/org` -> org id, API key, connector ids.
* `GET truth/syncs` -> `{"syncs": [SyncDetailRes, ...]}` at now.
* `GET truth/runs[?sync_id=...]` -> `{"runs": [SyncRunView + sync_id, ...]}`, full history.
* `GET truth/syncs/{sync_id}/config_versions` -> `{"versions": [config + valid_from, ...]}`.
* `GET truth/kinds` -> `{"kinds": {sync_id: profile kind}}`.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING
from urllib.parse import unquote

import orjson

from sandbox.http import Request, Response, Router, json_response
from sandbox.timbal.settings import ChangeError
from sandbox.tokens import bearer

if TYPE_CHECKING:
    from sandbox.timbal.world import TimbalWorld

ADMIN = "/_sandbox/timbal"


def error(status: int, code: str, message: str) -> Response:
    """Timbal's error envelope."""
    return json_response(status, {"error": {"code": code, "message": message}})


def _forbidden(world: TimbalWorld, request: Request, org_id: str) -> Response | None:
    """403 unless the request carries the world's key and asks for the key's own org."""
    token = bearer(request.headers)
    if token is None or not hmac.compare_digest(token.encode(), world.api_key.encode()):
        return error(403, "forbidden", "Missing or invalid API key")
    if unquote(org_id) != world.org_id:
        return error(403, "forbidden", "API key does not grant access to this organization")
    return None


def public_router(world: TimbalWorld) -> Router:
    router = Router()

    def list_syncs(request: Request, org_id: str) -> Response:
        denied = _forbidden(world, request, org_id)
        if denied:
            return denied
        return json_response(200, {"syncs": world.list_syncs(request.param("connector_id") or None)})

    def get_sync(request: Request, org_id: str, connector_id: str, sync_id: str) -> Response:
        denied = _forbidden(world, request, org_id)
        if denied:
            return denied
        setup = world.find(unquote(sync_id))
        if setup is None or setup.connector.id != unquote(connector_id):
            return error(404, "not_found", "Sync not found")
        return json_response(200, world.sync_detail(setup.id))

    router.add("GET", "/orgs/{org_id}/connectors/syncs", list_syncs)
    router.add("GET", "/orgs/{org_id}/connectors/{connector_id}/syncs/{sync_id}", get_sync)
    return router


def _admin_error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def add_admin_routes(world: TimbalWorld, admin: Router) -> None:
    def patch_sync(request: Request, sync_id: str) -> Response:
        if world.find(unquote(sync_id)) is None:
            return _admin_error(404, "Sync not found")
        try:
            body = request.json()
        except orjson.JSONDecodeError:
            return _admin_error(400, "body must be a JSON object")
        if not isinstance(body, dict):
            return _admin_error(400, "body must be a JSON object")
        try:
            return json_response(200, {"sync": world.update_sync(unquote(sync_id), **body)})
        except ChangeError as exc:
            return _admin_error(400, str(exc))

    def org(_: Request) -> Response:
        payload = {"org_id": world.org_id, "api_key": world.api_key}
        return json_response(200, {**payload, "connector_ids": world.connector_ids})

    def truth_syncs(_: Request) -> Response:
        return json_response(200, {"syncs": world.truth_syncs()})

    def truth_runs(request: Request) -> Response:
        sync_id = request.param("sync_id") or None
        if sync_id is not None and world.find(sync_id) is None:
            return _admin_error(404, "Sync not found")
        return json_response(200, {"runs": world.truth_runs(sync_id)})

    def config_versions(_: Request, sync_id: str) -> Response:
        if world.find(unquote(sync_id)) is None:
            return _admin_error(404, "Sync not found")
        return json_response(200, {"versions": world.truth_config_versions(unquote(sync_id))})

    def kinds(_: Request) -> Response:
        return json_response(200, {"kinds": world.truth_kinds()})

    admin.add("PATCH", f"{ADMIN}/syncs/{{sync_id}}", patch_sync)
    admin.add("GET", f"{ADMIN}/truth/org", org)
    admin.add("GET", f"{ADMIN}/truth/syncs", truth_syncs)
    admin.add("GET", f"{ADMIN}/truth/runs", truth_runs)
    admin.add("GET", f"{ADMIN}/truth/syncs/{{sync_id}}/config_versions", config_versions)
    admin.add("GET", f"{ADMIN}/truth/kinds", kinds)
