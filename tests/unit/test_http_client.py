"""VendorClient against a fake vendor: retries, Retry-After, 429s, origin lock, body cap, deadlines."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator

import httpx
import orjson
import psutil
import pytest

from sandbox.wire_faults import bomb
from sources.ai_squared.auth import AiSquaredAuth
from sources.http import (
    AuthError,
    BodyTooLarge,
    DeadlineExceeded,
    ForeignOrigin,
    RetryPolicy,
    VendorError,
    set_deadline,
)
from tests.unit.conftest import VENDOR, Fake


def streamed(status: int, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response whose body is read off a stream, as from the network (not decoded up front)."""
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content))


def answers(*responses: httpx.Response):
    """A handler giving these responses in turn, the last one for ever after."""
    queue = list(responses)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


class Endless(httpx.SyncByteStream):
    """A body that never ends, `pause` seconds between chunks."""

    def __init__(self, chunk: bytes, pause: float = 0.0) -> None:
        self.chunk, self.pause = chunk, pause

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self.pause:
                time.sleep(self.pause)
            yield self.chunk


# retries -------------------------------------------------------------------------------------------
def test_5xx_and_drops_are_retried_then_answered(fake: Fake) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if len(fake.seen) == 1:
            raise httpx.ReadError("connection reset")
        return httpx.Response(503) if len(fake.seen) == 2 else httpx.Response(200, json={"ok": 1})

    fake.handler = handler
    with fake.client() as client:
        body, _ = client.get_json("/x")
        assert (body, len(fake.seen), client.stats.retries) == ({"ok": 1}, 3, 2)


def test_a_persistent_5xx_fails_after_the_attempts_naming_the_path(fake: Fake) -> None:
    fake.handler = answers(httpx.Response(500))
    with fake.client() as client, pytest.raises(VendorError) as caught:
        client.get_json("/x", {"q": "1"})
    assert str(caught.value) == "test: HTTP 500 from /x after 3 attempts"
    assert len(fake.seen) == 3


def test_retry_after_on_503_is_waited_out(fake: Fake) -> None:
    fake.handler = answers(httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200, json=[]))
    arrived: list[float] = []
    handler = fake.handler
    fake.handler = lambda request: (arrived.append(time.monotonic()), handler(request))[1]
    with fake.client() as client:
        client.get_json("/x")
    assert arrived[1] - arrived[0] >= 1.0


def test_an_unreasonable_retry_after_fails_at_once(fake: Fake) -> None:
    fake.handler = answers(httpx.Response(429, headers={"Retry-After": "86400"}))
    with (
        fake.client() as client,
        pytest.raises(VendorError, match=r"^test: asked to wait 86400s \(Retry-After\); giving up$"),
    ):
        client.get_json("/x")


def test_429s_spend_time_not_attempts(fake: Fake) -> None:
    limited = [httpx.Response(429, headers={"Retry-After": "0"}) for _ in range(5)]
    fake.handler = answers(*limited, httpx.Response(200, json={"ok": 1}))
    with fake.client(retry=RetryPolicy(attempts=2, backoff_s=0.01)) as client:
        assert client.get_json("/x")[0] == {"ok": 1}
    assert len(fake.seen) == 6


def test_429s_fail_once_the_wait_budget_is_spent(fake: Fake) -> None:
    fake.handler = answers(httpx.Response(429, headers={"Retry-After": "0.4"}))
    policy = RetryPolicy(attempts=50, rate_limit_wait_s=1.0)
    with fake.client(retry=policy) as client, pytest.raises(VendorError) as caught:
        client.get_json("/x")
    assert str(caught.value) == "test: still rate limited (HTTP 429) on /x after waiting 1s"
    assert len(fake.seen) == 3  # 0.4 + 0.4 + 0.4 (plus jitter) passes 1s on the third


def test_a_429_makes_every_worker_of_the_vendor_wait(fake: Fake) -> None:
    told = threading.Event()
    arrivals: dict[str, list[float]] = {"/a": [], "/b": []}

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals[request.url.path].append(time.monotonic())
        if request.url.path == "/a" and len(arrivals["/a"]) == 1:
            told.set()
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, json={})

    fake.handler = handler
    with fake.client() as first, fake.client() as second:  # two clients: the gate is the vendor's
        worker = threading.Thread(target=first.get_json, args=("/a",))
        worker.start()
        told.wait(5)
        second.get_json("/b")  # asked after the 429: waits with everyone
        worker.join()
    limited_at = arrivals["/a"][0]
    assert arrivals["/b"][0] - limited_at >= 1.0
    assert arrivals["/a"][1] - limited_at >= 1.0


# origin lock ---------------------------------------------------------------------------------------
def test_an_absolute_url_on_another_origin_is_refused_before_sending(fake: Fake) -> None:
    from sources.http import BearerAuth

    with fake.client(auth=BearerAuth("tok")) as client, pytest.raises(ForeignOrigin) as caught:
        client.get_json("http://vendor.test:8080/x")
    assert str(caught.value) == (
        "test: GET request to http://vendor.test:8080 refused: not the configured origin http://vendor.test"
    )
    assert fake.seen == []


@pytest.mark.parametrize(
    ("location", "origin"),
    [("http://evil.test/steal", "http://evil.test"), ("https://vendor.test/x", "https://vendor.test")],
)
def test_a_redirect_off_the_origin_is_refused(fake: Fake, location: str, origin: str) -> None:
    from sources.http import BearerAuth

    fake.handler = answers(httpx.Response(302, headers={"Location": location}))
    with fake.client(auth=BearerAuth("tok")) as client, pytest.raises(ForeignOrigin) as caught:
        client.get_json("/x")
    assert (
        str(caught.value)
        == f"test: redirect to {origin} refused: not the configured origin http://vendor.test"
    )
    assert [str(r.url) for r in fake.seen] == ["http://vendor.test/x"]


def test_a_redirect_on_the_origin_is_followed(fake: Fake) -> None:
    fake.handler = lambda r: (
        httpx.Response(301, headers={"Location": "/y?p=1"})
        if r.url.path == "/x"
        else httpx.Response(200, json=7)
    )
    with fake.client() as client:
        assert client.get_json("/x")[0] == 7
    assert [str(r.url) for r in fake.seen] == ["http://vendor.test/x", "http://vendor.test/y?p=1"]


def test_login_goes_to_the_configured_base_url_only(fake: Fake) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"data": {"attributes": {"token": "fresh"}}})
        return httpx.Response(200, json={"auth": request.headers.get("authorization")})

    fake.handler = handler
    auth = AiSquaredAuth(None, "me@example.com", "pw")
    with fake.client("http://vendor.test/prefix", auth=auth) as client:
        assert client.get_json("/api/v1/syncs")[0] == {"auth": "Bearer fresh"}
        with pytest.raises(ForeignOrigin):
            client.get_json("http://evil.test/api/v1/syncs")
    assert [(r.method, str(r.url)) for r in fake.seen] == [
        ("POST", "http://vendor.test/prefix/api/v1/login"),
        ("GET", "http://vendor.test/prefix/api/v1/syncs"),
    ]
    assert orjson.loads(fake.seen[0].content) == {"email": "me@example.com", "password": "pw"}


def test_a_refused_login_names_the_settings(fake: Fake) -> None:
    fake.handler = answers(httpx.Response(401, json={}))
    with (
        fake.client(auth=AiSquaredAuth(None, "me@example.com", "pw")) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.get_json("/api/v1/syncs")
    assert str(caught.value) == (
        "ai_squared: login failed (HTTP 401): check sources.ai_squared.login_email and "
        "sources.ai_squared.login_password"
    )


# body cap ------------------------------------------------------------------------------------------
def test_a_gzip_bomb_stops_at_the_cap_without_allocating_it(fake: Fake) -> None:
    fake.handler = lambda request: streamed(200, bomb(1.0), {"Content-Encoding": "gzip"})
    before = psutil.Process().memory_info().rss
    with fake.client(max_body_bytes=8 * 2**20) as client, pytest.raises(BodyTooLarge) as caught:
        client.get_json("/x")
    assert str(caught.value) == (
        "test: response from /x exceeds the body cap of 8 MB (decompressed); stopped reading"
    )
    assert psutil.Process().memory_info().rss - before < 100 * 2**20
    assert len(fake.seen) == 1  # not retried: it would be the same again


def test_an_endless_body_stops_at_the_cap(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, stream=Endless(b"[1," * 10_000))
    with (
        fake.client(max_body_bytes=2**20) as client,
        pytest.raises(BodyTooLarge, match="exceeds the body cap of 1 MB"),
    ):
        client.get_json("/x")


def test_a_body_within_the_cap_is_decoded(fake: Fake) -> None:
    fake.handler = lambda request: streamed(
        200, gzip.compress(b'{"a": [1, 2]}'), {"Content-Encoding": "gzip"}
    )
    with fake.client() as client:
        assert client.get_json("/x")[0] == {"a": [1, 2]}


# deadlines -----------------------------------------------------------------------------------------
def test_a_dripping_body_ends_at_the_request_deadline(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, stream=Endless(b" ", pause=0.05))
    policy = RetryPolicy(attempts=2, backoff_s=0.01)
    with fake.client(timeout_s=0.3, retry=policy) as client, pytest.raises(VendorError) as caught:
        client.get_json("/x")
    assert str(caught.value) == (
        "test: no complete answer from /x within 0.3s (sources.test.timeout_seconds) after 2 attempts"
    )


def test_the_run_deadline_stops_every_request(fake: Fake) -> None:
    fake.handler = lambda request: httpx.Response(200, stream=Endless(b" ", pause=0.05))
    set_deadline(VENDOR, time.monotonic() + 0.5)
    with fake.client(timeout_s=30, retry=RetryPolicy(attempts=100, backoff_s=0.01)) as client:
        with pytest.raises(DeadlineExceeded) as caught:
            client.get_json("/x")
        assert str(caught.value) == "test: run deadline passed (syncscope run --timeout); stopped"
        seen = len(fake.seen)
        with pytest.raises(DeadlineExceeded):
            client.get_json("/y")
    assert len(fake.seen) == seen  # nothing more is asked
