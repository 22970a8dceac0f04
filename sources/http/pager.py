"""One pager for every vendor: follow `next` links, and stop where a hostile or odd server would not.

A crawl stops on
* a page without items (Multiwoven's `next` is never null past the last page: it points one
  page further, for ever, with empty `data`);
* the page `last` names (JSON:API links), by URL or by its `page` number;
and fails (VendorError naming the vendor, so no cursor moves past what was never read) on
* a link to a URL already asked for (a server looping back);
* more than `max_pages` pages (a `next` that keeps increasing, each page with data);
* a link to another origin, refused before it is followed (no credential goes there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import orjson

from .client import VendorClient
from .errors import VendorError


@dataclass(frozen=True)
class PageLinks:
    """How a vendor's list body names its items and its page links."""

    items: Callable[[Any], list]
    next: Callable[[Any], str | None]
    last: Callable[[Any], str | None] = lambda body: None


@dataclass(frozen=True)
class Page:
    items: list
    body: Any
    response: httpx.Response


def _link(body: Any, name: str) -> str | None:
    """`links.<name>`, or `<name>` at the top level; only a non-empty string counts."""
    if not isinstance(body, dict):
        return None
    links = body.get("links")
    link = links.get(name) if isinstance(links, dict) else body.get(name)
    return link if isinstance(link, str) and link else None


def _data(body: Any) -> list:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, list) else []


JSONAPI = PageLinks(items=_data, next=lambda b: _link(b, "next"), last=lambda b: _link(b, "last"))


def normalized(url: httpx.URL) -> str:
    """A URL with its query sorted, so `?b=1&a=2` and `?a=2&b=1` are the same page."""
    query = urlencode(sorted(parse_qsl(url.query.decode(), keep_blank_values=True)))
    return str(url.copy_with(query=query.encode() or None, fragment=None))


def _page_number(url: httpx.URL) -> int | None:
    value = url.params.get("page")
    return int(value) if value is not None and value.isdigit() else None


def _is_last(current: httpx.URL, last: httpx.URL) -> bool:
    if normalized(current) == normalized(last):
        return True
    here, end = _page_number(current), _page_number(last)
    if here is None and end is not None and "page" not in current.params:
        here = 1  # a first request names no page
    return here is not None and end is not None and here >= end


def _same_pages(url: httpx.URL) -> list[str]:
    """A URL as the loop check knows it; a first request without `page` is also `page=1`."""
    if "page" in url.params:
        return [normalized(url)]
    return [normalized(url), normalized(url.copy_add_param("page", "1"))]


def paginate(
    client: VendorClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    links: PageLinks = JSONAPI,
    auth: httpx.Auth | None = None,
    loads: Callable[[bytes], Any] = orjson.loads,
) -> Iterator[Page]:
    """Every page of a listing, first to last, by the rules above."""
    url: str = path
    query = params
    asked: set[str] = set()
    for number in range(1, client.max_pages + 2):
        if number > client.max_pages:
            message = f"more than {client.max_pages:,} pages from {path}; stopped (next links without end?)"
            raise VendorError(client.vendor, message)
        current = client.url(url, query)
        asked.update(_same_pages(current))
        body, response = client.get_json(url, query, auth=auth, loads=loads)
        page = Page(links.items(body), body, response)
        yield page
        following = links.next(body)
        if not page.items or not following:
            return
        last = links.last(body)
        if last and _is_last(current, current.join(last)):
            return
        target = current.join(following)
        client.check_link(target, "next link")
        if normalized(target) in asked:
            raise VendorError(
                client.vendor,
                f"next link from {path} leads back to a page already read; stopped (a link loop?)",
            )
        url, query = str(target), None
