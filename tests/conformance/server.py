"""Serve a spec world on loopback, at the URLs, auth and paging the real vendors use.

Each answer the excerpts cover is validated against its excerpt before it is sent (a body that
breaks the excerpt would prove nothing); `invalid` collects what failed. `served` records every
object actually sent, keyed as the warehouse keys it, so the check asks exactly for what the
sources were given: a run whose records the source had no reason to ask for is not expected.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from openapi_core.testing import MockRequest, MockResponse

from tests.loopback import LoopbackServer
from tests.spec_validation import openapi, spec_dict

from .rfc3339 import epoch_us
from .worlds import AiSquaredWorld, ParagonWorld, TimbalWorld

World = AiSquaredWorld | TimbalWorld | ParagonWorld
AISQ = "/api/v1/syncs"


def dumps(body: Any) -> bytes:
    """JSON as a vendor writes it: big integers as their digits, NUL escaped, UTF-8."""
    return json.dumps(body, ensure_ascii=False).encode()


class SpecServer(LoopbackServer):
    """One vendor's world on 127.0.0.1 (a fresh port), in a thread; a context manager."""

    def __init__(self, vendor: str, world: World) -> None:
        self.vendor, self.world = vendor, world
        self.served: dict[tuple, Any] = {}
        self.invalid: list[str] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, body = owner.answer(self.path, self.headers)
                data = dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.serve(Handler)

    def env(self) -> dict[str, str]:
        """What `tests/conftest.py`'s `load` fixture sets: this vendor's settings only."""
        return self.world.env(self.url)

    # routing ------------------------------------------------------------------------------------
    def answer(self, target: str, headers: Any) -> tuple[int, Any]:
        parts = urlsplit(target)
        segments = [unquote(s) for s in parts.path.split("/")[1:]]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            if self.vendor == "ai_squared":
                return self._ai_squared(segments, query, headers, target)
            if self.vendor == "timbal":
                return self._timbal(segments, query, headers, parts.path)
            return self._paragon(segments, headers, parts.path)
        except Exception as exc:  # a harness bug must show, not hang the load
            with self.lock:
                self.invalid.append(f"{target}: harness error {exc!r}")
            return 500, {"error": repr(exc)}

    def _check(self, spec: str, path: str, query: dict, body: Any, patch: str | None = None) -> None:
        server = spec_dict(spec)["servers"][0]["url"]
        request = MockRequest(server, "get", path, args=query)
        response = MockResponse(data=dumps(body), status_code=200, content_type="application/json")
        try:
            openapi(spec, patch).validate_response(request, response)
        except Exception as exc:
            with self.lock:
                self.invalid.append(f"{path}: {type(exc).__name__}: {str(exc)[:300]}")

    def _serve(self, key: tuple, obj: Any) -> None:
        with self.lock:
            self.served[key] = obj

    # AI Squared -----------------------------------------------------------------------------------
    def _ai_squared(self, seg: list[str], query: dict, headers: Any, target: str) -> tuple[int, Any]:
        world = self.world
        assert isinstance(world, AiSquaredWorld)
        if headers.get("Authorization") != f"Bearer {world.token}":
            return 401, {"errors": [{"status": 401, "title": "Error", "detail": "Unauthorized"}]}
        if headers.get("Workspace-Id") != world.workspace_id:
            return 400, {"errors": [{"status": 400, "title": "Bad Request", "detail": "Workspace not found"}]}
        path = "/" + "/".join(seg)
        if seg[:3] != ["api", "v1", "syncs"]:
            return 404, {"errors": [{"status": 404, "title": "Error", "detail": "Not found"}]}
        rest = seg[3:]
        syncs = {int(s["id"]): s for s in world.syncs}
        if not rest:
            page = self._page(world.syncs, query, path, target)
            for sync in page["data"]:
                self._serve(("sync", int(sync["id"])), sync)
            return 200, page
        sync_id = int(rest[0])
        if sync_id not in syncs:
            return 404, {"errors": [{"status": 404, "title": "Error", "detail": "Sync not found"}]}
        if len(rest) == 1:
            self._serve(("sync", sync_id), syncs[sync_id])
            return 200, {"data": syncs[sync_id]}
        runs = {int(r["id"]): r for r in world.runs[sync_id]}
        if len(rest) == 2:
            ordered = sorted(runs.values(), key=_newest_first)
            ordered = _filtered(ordered, query)
            page = self._page(ordered, query, path, target)
            self._check("ai_squared_list_sync_runs", path, query, page, "nullable_run_times")
            for run in page["data"]:
                self._serve(("run", sync_id, int(run["id"])), run)
            return 200, page
        run_id = int(rest[2])
        if run_id not in runs:
            return 404, {"errors": [{"status": 404, "title": "Error", "detail": "Sync Run not found"}]}
        if len(rest) == 3:
            body = {"data": runs[run_id]}
            self._check("ai_squared_get_sync_run", path, query, body, "nullable_run_times")
            self._serve(("run", sync_id, run_id), runs[run_id])
            return 200, body
        records = _filtered(world.records[(sync_id, run_id)], query)
        page = self._page(records, query, path, target)
        self._check("ai_squared_list_sync_records", path, query, page)
        for record in page["data"]:
            self._serve(("record", sync_id, run_id, int(record["id"])), record)
        return 200, page

    def _page(self, items: list[dict], query: dict, path: str, target: str) -> dict:
        """Multiwoven's paging: 1-based `page`, `per_page` (default 10), absolute sorted links."""
        number, size = int(query.get("page", 1)), int(query.get("per_page", 10))
        last = max(1, -(-len(items) // size))

        def link(n: int) -> str:
            return f"{self.url}{path}?{urlencode(sorted({**query, 'page': n, 'per_page': size}.items()))}"

        links = {
            "self": f"{self.url}{target}",
            "first": link(1),
            "prev": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < last else None,
            "last": link(last),
        }
        return {"data": items[(number - 1) * size : number * size], "links": links}

    # Timbal ---------------------------------------------------------------------------------------
    def _timbal(self, seg: list[str], query: dict, headers: Any, path: str) -> tuple[int, Any]:
        world = self.world
        assert isinstance(world, TimbalWorld)
        if headers.get("Authorization") != f"Bearer {world.api_key}":
            return 403, {"error": "forbidden"}
        if seg[:1] != ["orgs"] or len(seg) < 4 or seg[1] != world.org_id or seg[2] != "connectors":
            return 404, {"error": "not found"}
        if seg[3:] == ["syncs"]:
            views = [d["sync"] for d in world.details]
            wanted = query.get("connector_id")
            return 200, {"syncs": [v for v in views if wanted is None or v["connector_id"] == wanted]}
        if len(seg) != 6 or seg[4] != "syncs":
            return 404, {"error": "not found"}
        for detail in world.details:
            if detail["sync"]["connector_id"] == seg[3] and detail["sync"]["id"] == seg[5]:
                self._check("timbal_get_connector_sync", path, {}, detail)
                self._serve(("sync", detail["sync"]["id"]), detail)
                return 200, detail
        return 404, {"error": "Sync not found"}

    # Paragon --------------------------------------------------------------------------------------
    def _paragon(self, seg: list[str], headers: Any, path: str) -> tuple[int, Any]:
        world = self.world
        assert isinstance(world, ParagonWorld)
        if headers.get("Authorization") != f"Bearer {world.token}":
            return 401, {"message": "Unauthorized"}
        if seg == ["api", "syncs"]:
            for item in world.items:
                self._serve(("item", item["id"]), item)
            return 200, {"data": world.items}
        if len(seg) == 3 and seg[:2] == ["api", "syncs"] and seg[2] in world.statuses:
            status = world.statuses[seg[2]]
            self._check("paragon_get_sync_status", path, {}, status)
            self._serve(("status", seg[2]), status)
            return 200, status
        return 404, {"message": "Sync not found"}


def _newest_first(run: dict) -> tuple[int, int]:
    """Multiwoven orders runs by `updated_at` desc; a run without one (the excerpt allows it) last."""
    updated = run["attributes"].get("updated_at")
    return (1, 0) if updated is None else (0, -epoch_us(updated))


def _filtered(items: list[dict], query: dict) -> list[dict]:
    wanted = query.get("status")
    return items if wanted is None else [i for i in items if i["attributes"].get("status") == wanted]
