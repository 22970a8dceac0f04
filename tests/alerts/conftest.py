"""Receivers on loopback for every destination, and an AlertConfig pointing at them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from pipelines.alerts import delivery
from pipelines.alerts.config import AlertConfig, Destination, Limits
from tests.alerts.receiver import PAGERDUTY_OK, Receiver

SCHEMAS = Path(__file__).parent / "schemas"
SLACK_URL_PATH = "/services/T0SYNCSCOPE/B0ALERTS/s3cr3tSlackPathToken"
WEBHOOK_PATH = "/hooks/s3cr3t-webhook-token"
ROUTING_KEY = "R0UT1NGKEYsyncscope0123456789abc"  # 32 characters, as PagerDuty's are
HEADER_SECRET = "Bearer s3cr3t-header-value"
assert len(ROUTING_KEY) == 32


def validator(name: str) -> jsonschema.Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    with Receiver() as slack, Receiver(PAGERDUTY_OK) as pagerduty, Receiver() as webhook:
        yield {"slack": slack, "pagerduty": pagerduty, "webhook": webhook}


def make_config(receivers: dict[str, Receiver], **settings: object) -> AlertConfig:
    destinations = [
        Destination("slack", receivers["slack"].url + SLACK_URL_PATH),
        Destination("pagerduty", receivers["pagerduty"].url + "/v2/enqueue", routing_key=ROUTING_KEY),
        Destination(
            "webhook", receivers["webhook"].url + WEBHOOK_PATH, headers={"Authorization": HEADER_SECRET}
        ),
    ]
    wanted = settings.pop("only", None)
    if wanted:
        destinations = [d for d in destinations if d.name in wanted]
    values = {"limits": Limits(), "timeout_s": 5.0, "max_attempts": 3, "backoff_s": 0.01, **settings}
    return AlertConfig(destinations=destinations, **values)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every back-off or Retry-After wait, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(delivery, "_wait", recorded.append)
    return recorded
