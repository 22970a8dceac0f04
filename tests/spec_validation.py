"""Validate sandbox responses against the vendors' OpenAPI excerpts in sandbox/specs/.

The excerpts are markdown files holding one ```yaml block each; openapi-core checks a response
(status, content type, body schema) against the operation the request path matches.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

# In the repository (copied from the vendors' excerpts, see sandbox/specs/README.md): a clone
# with nothing beside it must validate the same way CI does.
SPECS = Path(__file__).resolve().parents[1] / "sandbox" / "specs"


@cache
def spec_dict(name: str) -> dict:
    text = (SPECS / f"{name}.md").read_text()
    block = re.search(r"````yaml[^\n]*\n(.*?)````", text, re.S)
    assert block, f"no yaml block in {name}.md"
    return yaml.safe_load(block.group(1))


@cache
def openapi(name: str, patch: str | None = None) -> OpenAPI:
    spec = spec_dict(name)
    if patch:
        spec = PATCHES[patch](spec)
    return OpenAPI.from_dict(spec)


def _nullable_run_times(spec: dict) -> dict:
    """AI Squared's excerpt types started_at/finished_at/duration as non-null, but the server
    sends null for runs not yet started or finished (sandbox/specs/VENDORS.md): validate as it is."""
    import copy

    spec = copy.deepcopy(spec)
    for path in spec["paths"].values():
        schema = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        data = schema["properties"]["data"]
        item = data.get("items", data)
        for name in ("started_at", "finished_at", "duration"):
            item["properties"]["attributes"]["properties"][name]["nullable"] = True
    return spec


PATCHES = {"nullable_run_times": _nullable_run_times}


def validate(spec_name: str, response: httpx.Response, patch: str | None = None) -> None:
    """Raise if `response` breaks the spec (the request's host is mapped to the spec's server)."""
    api = openapi(spec_name, patch)
    server = spec_dict(spec_name)["servers"][0]["url"]
    url = urlsplit(str(response.request.url))
    request = MockRequest(
        server, response.request.method.lower(), url.path, args=dict(httpx.QueryParams(url.query))
    )
    mock = MockResponse(
        data=response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "application/json").split(";")[0],
    )
    api.validate_response(request, mock)
