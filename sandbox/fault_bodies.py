"""What the hostile fault knobs do to an answer's body (the wire-level ones are in wire_faults.py).

* `foreign_next`: every page link points at another origin (the path and query kept), so a
  client that follows it sends its credentials there; listings without links get a `next`.
* `loop_next`: every page link points back to the first page (a listing without links: to
  itself), the loop a client must notice.
* `malformed_field`: every object holding the key loses it, gets a value of another type, or a
  10 MB string (`missing:`, `wrong_type:`, `huge:` followed by the key).
* `empty_listing_once`: the next sync list answers 200 with no syncs (and no next page), once.
* `records_404_once`: the next AI Squared sync_records request answers 404, once.
* `spec_room`: spec-valid room the bodies never take (nanosecond times, unknown properties, huge
  numbers, NUL characters, an empty job id), see spec_room.py.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import orjson

from sandbox import spec_room
from sandbox.faults import MALFORMED, FaultInjector
from sandbox.http_types import Request, Response, json_response

# The sync list of each vendor: what `empty_listing_once` empties and listings without links are.
LISTINGS = {
    "ai_squared": re.compile(r"^/api/v1/syncs$"),
    "timbal": re.compile(r"^/orgs/[^/]+/connectors/syncs$"),
    "paragon": re.compile(r"^/api/syncs$"),
}
RECORDS = re.compile(r"^/api/v1/syncs/[^/]+/sync_runs/[^/]+/sync_records$")
LIST_KEYS = ("data", "syncs", "items")
HUGE = 10 * 1024 * 1024


def before_dispatch(vendor: str, faults: FaultInjector, request: Request) -> Response | None:
    """An answer that replaces the vendor's own (`records_404_once`), or None."""
    if vendor == "ai_squared" and RECORDS.match(request.path) and faults.take_once("records_404_once"):
        error = {"status": 404, "title": "Error", "detail": "SyncRun not found"}
        return json_response(404, {"errors": [error]})
    return None


def rewrite(vendor: str, faults: FaultInjector, request: Request, response: Response) -> Response:
    """The answer with the body knobs applied (only 200 JSON answers are touched)."""
    f = faults.faults
    listing = LISTINGS[vendor].match(request.path) is not None
    wanted = (
        f.foreign_next
        or f.loop_next
        or f.malformed_field
        or f.spec_room
        or (listing and f.empty_listing_once)
    )
    if response.status != 200 or not wanted:
        return response
    try:  # the standard library keeps integers beyond 64 bits (AI Squared records hold them)
        body = json.loads(response.body) if f.spec_room else orjson.loads(response.body)
    except ValueError:
        return response
    if listing and f.empty_listing_once and faults.take_once("empty_listing_once"):
        _empty(body)
    if f.foreign_next:
        _point_next(body, request, listing, lambda link: _foreign(f.foreign_next, link))
    elif f.loop_next:
        _point_next(body, request, listing, lambda link: _first(body, request))
    if f.malformed_field:
        kind, key = MALFORMED.match(f.malformed_field).groups()  # type: ignore[union-attr]
        _malform(body, kind, key)
    if f.spec_room:
        spec_room.apply(vendor, f.spec_room, request.path, body)
        return Response(response.status, spec_room.dumps(body), response.headers)
    return Response(response.status, orjson.dumps(body), response.headers)


def _empty(body: object) -> None:
    if isinstance(body, list):
        body.clear()
        return
    if not isinstance(body, dict):
        return
    for key in LIST_KEYS:
        if isinstance(body.get(key), list):
            body[key] = []
    if isinstance(body.get("links"), dict):
        body["links"]["next"] = None
    body.pop("next", None)


def _point_next(body: object, request: Request, listing: bool, target) -> None:
    if not isinstance(body, dict):
        return
    links = body.get("links")
    if isinstance(links, dict):
        links["next"] = target(links.get("next") or _self(request))
    elif listing:
        body["next"] = target(_self(request))


def _self(request: Request) -> str:
    return f"{request.base_url}{request.target}"


def _foreign(foreign: str, link: str) -> str:
    """The link's path and query on the foreign origin."""
    origin = urlsplit(foreign)
    parts = urlsplit(link)
    return f"{origin.scheme}://{origin.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def _first(body: dict, request: Request) -> str:
    links = body.get("links")
    first = links.get("first") if isinstance(links, dict) else None
    return first if isinstance(first, str) and first else _self(request)


def _malform(node: object, kind: str, key: str) -> None:
    if isinstance(node, list):
        for item in node:
            _malform(item, kind, key)
    elif isinstance(node, dict):
        if key in node:
            if kind == "missing":
                del node[key]
            elif kind == "huge":
                node[key] = "x" * HUGE
            else:
                node[key] = _other_type(node[key])
        for value in node.values():
            _malform(value, kind, key)


def _other_type(value: object) -> object:
    """A value of a type the field never has: text for numbers and the like, a number for text."""
    if isinstance(value, str):
        return 12345
    if isinstance(value, dict | list):
        return "not an object"
    return "not a number"
