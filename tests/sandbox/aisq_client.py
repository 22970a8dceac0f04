"""Helpers for talking to the AI Squared sandbox in tests."""

from __future__ import annotations

import httpx

from sandbox.service import Sandbox


def client(box: Sandbox, token: str | None = None) -> httpx.Client:
    world = box.world.ai_squared
    headers = {"Authorization": f"Bearer {token or world.api_token}", "Workspace-Id": "7"}
    return httpx.Client(base_url=box.url("ai_squared"), headers=headers, timeout=10)


def crawl(
    http: httpx.Client, url: str, params: dict | None = None
) -> tuple[list[dict], list[httpx.Response]]:
    """Follow links.next from `url`; every item and every response seen."""
    items: list[dict] = []
    responses = []
    next_url: str | None = url
    while next_url:
        response = http.get(next_url, params=params if next_url == url else None)
        response.raise_for_status()
        responses.append(response)
        body = response.json()
        items.extend(body["data"])
        next_url = body["links"]["next"]
    return items, responses
