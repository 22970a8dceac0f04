"""VendorClient on a real loopback socket (the sandbox): what a mock transport cannot show."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.faults import Faults
from sandbox.service import Sandbox
from sources.http import BearerAuth, ConfigError, RetryPolicy, VendorClient, VendorError, close_clients


@pytest.fixture(autouse=True)
def closed_after() -> None:
    yield
    close_clients("ai_squared")


def listing_error(box: Sandbox, expected: type[Exception], **options: Any) -> Exception:
    """What a client of the AI Squared sandbox built with `options` raises listing the syncs."""
    client = VendorClient("ai_squared", box.url("ai_squared"), **options)
    with client, pytest.raises(expected) as caught:
        client.get_json("/api/v1/syncs")
    return caught.value


def test_a_body_dripping_slower_than_the_deadline_ends_the_request(fresh_sandbox: Sandbox) -> None:
    # A byte every 1.5 s never trips a 2 s read timeout; the request's total deadline ends it.
    fresh_sandbox.set_faults("ai_squared", Faults(slow_body=1.5))
    world = fresh_sandbox.world.ai_squared
    error = listing_error(
        fresh_sandbox, VendorError, auth=BearerAuth(world.api_token), timeout_s=2,
        retry=RetryPolicy(attempts=1), headers={"Workspace-Id": str(world.workspace_id)},
    )  # fmt: skip
    assert str(error) == (
        "ai_squared: no complete answer from /api/v1/syncs within 2s "
        "(sources.ai_squared.timeout_seconds) after 1 attempts"
    )


def test_a_credential_with_a_newline_names_the_setting_never_the_value(fresh_sandbox: Sandbox) -> None:
    token = fresh_sandbox.world.ai_squared.api_token
    error = listing_error(
        fresh_sandbox,
        ConfigError,
        auth=BearerAuth(token + "\n"),
        token_setting="sources.ai_squared.api_token",
    )
    assert str(error) == (
        "ai_squared: invalid request header: check sources.ai_squared.api_token "
        "(stray whitespace or newline?)"
    )
    assert error.__cause__ is None and error.__suppress_context__
    assert fresh_sandbox.requests("ai_squared") == []  # nothing was sent
