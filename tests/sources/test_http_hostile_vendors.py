"""Issue 13, cases 1 and 2, as `syncscope run` meets them: a vendor that sends the crawl to another
host, loops its links, drips its body, never ends it, or sends a gzip bomb. The run must end
(within its deadline, by itself), say what happened in one line, send nothing to the foreign
host, stay within bounded memory, and the next clean run must equal the truth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.exit_codes import EXIT_OK, EXIT_VENDORS_FAILED
from sandbox.faults import Faults
from sandbox.service import Sandbox
from sandbox.world import VENDORS
from tests.conftest import small_config
from tests.sources.hostile import Listener, syncscope_run
from tests.sources.test_ai_squared_source import assert_equal, truth, warehouse

RSS_LIMIT = 400 * 2**20  # a clean small run peaks near 245 MB; the body cap adds 64 MB at most


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def no_faults_after(box: Sandbox) -> Iterator[None]:
    yield
    for vendor in VENDORS:
        box.set_faults(vendor, Faults())


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as stub:
        yield stub


def assert_clean_run_equals_truth(box: Sandbox, db: Path) -> None:
    for vendor in VENDORS:
        box.set_faults(vendor, Faults())
    run = syncscope_run(box.env(), db, "--vendor", "ai_squared")
    assert run.returncode == EXIT_OK, run.stdout + run.stderr
    assert_equal(warehouse(db), truth(box))


# case 1: credentials never leave for another host ------------------------------------------------
@pytest.mark.parametrize("login", [False, True], ids=["token", "login"])
def test_a_next_link_to_another_host_is_refused_and_gets_nothing(
    box: Sandbox, listener: Listener, db: Path, login: bool
) -> None:
    box.set_faults("ai_squared", Faults(foreign_next=listener.url))
    env = box.env()
    if login:  # email + password only: the crawl logs in first
        del env["SOURCES__AI_SQUARED__API_TOKEN"]
    run = syncscope_run(env, db, "--vendor", "ai_squared")
    assert listener.received == []
    assert run.returncode == EXIT_VENDORS_FAILED, run.stdout + run.stderr
    assert run.line("ai_squared") == (
        f"ai_squared  failed: ai_squared: next link to {listener.url} refused: "
        f"not the configured origin {box.url('ai_squared')}"
    )
    assert_clean_run_equals_truth(box, db)


def test_a_timbal_next_link_to_another_host_is_refused(box: Sandbox, listener: Listener, db: Path) -> None:
    box.set_faults("timbal", Faults(foreign_next=listener.url))
    run = syncscope_run(box.env(), db, "--vendor", "timbal")
    assert listener.received == []
    assert run.returncode == EXIT_VENDORS_FAILED, run.stdout + run.stderr
    assert run.line("timbal") == (
        f"timbal      failed: timbal: next link to {listener.url} refused: "
        f"not the configured origin {box.url('timbal')}"
    )


# case 2: runs that never end or eat all memory ---------------------------------------------------
def test_a_looping_next_link_ends_the_run_with_one_line(box: Sandbox, db: Path) -> None:
    box.set_faults("ai_squared", Faults(loop_next=True))
    run = syncscope_run(
        {**box.env(), "SOURCES__AI_SQUARED__RUNS_PER_PAGE": "5"}, db, "--vendor", "ai_squared"
    )
    assert run.killed == [] and run.returncode == EXIT_VENDORS_FAILED, run.stdout + run.stderr
    assert re.fullmatch(
        r"ai_squared  failed: ai_squared: next link from /api/v1/syncs/\d+/sync_runs leads back to a page "
        r"already read; stopped \(a link loop\?\)",
        run.line("ai_squared"),
    )
    assert_clean_run_equals_truth(box, db)


def test_a_dripping_body_ends_at_the_request_deadline(box: Sandbox, db: Path) -> None:
    box.set_faults("ai_squared", Faults(slow_body=0.5))
    env = {**box.env(), "SOURCES__AI_SQUARED__TIMEOUT_SECONDS": "2", "SOURCES__AI_SQUARED__MAX_ATTEMPTS": "2"}
    run = syncscope_run(env, db, "--vendor", "ai_squared")
    assert run.killed == [] and run.returncode == EXIT_VENDORS_FAILED, run.stdout + run.stderr
    assert run.line("ai_squared") == (
        "ai_squared  failed: ai_squared: no complete answer from /api/v1/syncs within 2s "
        "(sources.ai_squared.timeout_seconds) after 2 attempts"
    )
    assert_clean_run_equals_truth(box, db)


@pytest.mark.parametrize(
    "faults", [Faults(endless_body=True), Faults(gzip_bomb=3)], ids=["endless", "gzip_bomb"]
)
def test_an_endless_or_bomb_body_stops_at_the_cap_in_bounded_memory(
    box: Sandbox, db: Path, faults: Faults
) -> None:
    box.set_faults("ai_squared", faults)
    run = syncscope_run(box.env(), db, "--vendor", "ai_squared", rss_limit=RSS_LIMIT)
    assert run.killed == [], run.killed
    assert run.returncode == EXIT_VENDORS_FAILED, run.stdout + run.stderr
    assert run.line("ai_squared") == (
        "ai_squared  failed: ai_squared: response from /api/v1/syncs exceeds the body cap of 64 MB "
        "(decompressed); stopped reading"
    )
    assert_clean_run_equals_truth(box, db)
