"""The shared pager against a fake JSON:API vendor: where it stops, and what it never follows."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import httpx
import pytest

from sources.http import ForeignOrigin, VendorError, paginate
from tests.unit.conftest import BASE, Fake


def jsonapi(pages: int, *, next_for_ever: bool = False, last: bool = True, loop_to: int | None = None):
    """A vendor with `pages` pages of two items at /items?page=N; past them, empty pages.

    next_for_ever: `next` is never null (Multiwoven past the last page, or a hostile server);
    loop_to: every `next` points at that page instead.
    """

    def url(page: int) -> str:
        return f"{BASE}/items?{urlencode({'page': page, 'per_page': 2})}"

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        data = [{"id": f"{page}-{i}"} for i in range(2)] if page <= pages else []
        following = page + 1 if next_for_ever or page < pages else None
        if loop_to is not None:
            following = loop_to
        links = {"next": url(following) if following else None}
        if last:
            links["last"] = url(pages)
        return httpx.Response(200, json={"data": data, "links": links})

    return handler


def crawl(fake: Fake, **client_options: object) -> list[str]:
    with fake.client(**client_options) as client:
        return [item["id"] for page in paginate(client, "/items", {"per_page": 2}) for item in page.items]


def asked(fake: Fake) -> list[str | None]:
    return [r.url.params.get("page") for r in fake.seen]


def test_every_page_is_read_and_the_last_one_ends_the_crawl(fake: Fake) -> None:
    fake.handler = jsonapi(3, next_for_ever=True)  # `next` not null on the last page: `last` says stop
    assert crawl(fake) == ["1-0", "1-1", "2-0", "2-1", "3-0", "3-1"]
    assert asked(fake) == [None, "2", "3"]


def test_an_empty_page_ends_the_crawl_when_next_never_does(fake: Fake) -> None:
    fake.handler = jsonapi(2, next_for_ever=True, last=False)
    assert crawl(fake) == ["1-0", "1-1", "2-0", "2-1"]
    assert asked(fake) == [None, "2", "3"]


@pytest.mark.parametrize("loop_to", [1, 2])
def test_a_link_back_to_a_page_already_read_fails_naming_the_vendor(fake: Fake, loop_to: int) -> None:
    fake.handler = jsonapi(5, loop_to=loop_to, last=False)
    with pytest.raises(VendorError) as caught:
        crawl(fake)
    assert str(caught.value) == (
        "test: next link from /items leads back to a page already read; stopped (a link loop?)"
    )
    assert asked(fake) == [None, "2"][:loop_to]  # page 1 asked without `page` is page=1


def test_a_link_to_the_same_page_with_its_query_reordered_is_a_loop(fake: Fake) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [1], "links": {"next": f"{BASE}/items?x=1&per_page=2"}})

    fake.handler = handler
    with fake.client() as client, pytest.raises(VendorError, match="leads back to a page already read"):
        list(paginate(client, "/items", {"per_page": 2, "x": 1}))
    assert len(fake.seen) == 1


def test_the_first_page_is_the_last_when_last_names_page_1(fake: Fake) -> None:
    fake.handler = jsonapi(1, next_for_ever=True)
    assert crawl(fake) == ["1-0", "1-1"]
    assert asked(fake) == [None]


def test_a_next_link_that_keeps_increasing_stops_at_the_page_bound(fake: Fake) -> None:
    fake.handler = jsonapi(10**9, next_for_ever=True, last=False)
    with pytest.raises(VendorError) as caught:
        crawl(fake, max_pages=5)
    assert str(caught.value) == "test: more than 5 pages from /items; stopped (next links without end?)"
    assert len(fake.seen) == 5


def test_a_next_link_to_another_origin_is_refused_before_it_is_followed(fake: Fake) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"data": [1], "links": {"next": "http://evil.test:8000/items?page=2"}}
        )

    fake.handler = handler
    with fake.client() as client, pytest.raises(ForeignOrigin) as caught:
        list(paginate(client, "/items"))
    assert str(caught.value) == (
        "test: next link to http://evil.test:8000 refused: not the configured origin http://vendor.test"
    )
    assert fake.hosts() == {"vendor.test"}


def test_a_relative_next_link_is_read_on_the_configured_origin(
    fake: Fake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"data": [page], "next": "/items?page=2" if page == 1 else None})

    fake.handler = handler
    from sources.http import PageLinks

    links = PageLinks(items=lambda body: body["data"], next=lambda body: body["next"])
    with fake.client() as client:
        assert [p.items for p in paginate(client, "/items", links=links)] == [[1], [2]]
    assert [str(r.url) for r in fake.seen] == [f"{BASE}/items", f"{BASE}/items?page=2"]
    assert caplog.text == ""
