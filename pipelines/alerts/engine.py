"""One alert run: evaluate, update incidents, write ahead, send, record the outcome.

The caller holds the warehouse lock (`syncscope alert` takes it; `run --alert` already holds
it). The DuckDB connection is closed while requests are in flight, so a slow destination
never keeps the warehouse open longer than the bookkeeping needs.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import httpx

from pipelines.alerts import state
from pipelines.alerts.config import AlertConfig, Destination
from pipelines.alerts.delivery import Delivery, mail, post, protect
from pipelines.alerts.destinations import email, pagerduty, slack, webhook
from pipelines.alerts.messages import Fleet, fleet
from pipelines.alerts.rules import evaluate
from pipelines.alerts.transitions import Transition, pending

EXIT_OK, EXIT_CONFIG, EXIT_HELD, EXIT_ALERTS = 0, 2, 10, 11
# Test hook: after the write-ahead is committed, touch this file and wait to be killed.
PAUSE_ENV = "SYNCSCOPE_ALERTS_PAUSE_AFTER_RECORD"


class WarehouseNotReady(Exception):
    """No marts to evaluate; one line."""


@dataclass
class Request:
    """One HTTP request to one destination, and the notification rows it settles."""

    destination: Destination
    body: dict
    transitions: list[Transition]
    ids: list[int] = field(default_factory=list)
    delivery: Delivery | None = None


@dataclass
class AlertOutcome:
    as_of: datetime | None = None
    fleet: Fleet | None = None
    requests: list[Request] = field(default_factory=list)
    transitions: dict[str, list[Transition]] = field(default_factory=dict)
    muted: int = 0
    dry_run: bool = False

    @property
    def failed(self) -> list[Request]:
        return [r for r in self.requests if r.delivery is not None and not r.delivery.ok]

    @property
    def exit_code(self) -> int:
        return EXIT_ALERTS if self.failed else EXIT_OK


def _requests(dest: Destination, items: list[Transition], summary: Fleet, config: AlertConfig,
              message_id: str) -> list[Request]:  # fmt: skip
    if not items:
        return []
    if dest.name == "pagerduty":
        events = ((pagerduty.event(dest.routing_key, t), t) for t in items)
        return [Request(dest, body, [t]) for body, t in events if body is not None]
    if dest.name == "email":
        return [Request(dest, email.message(summary, items), items)]
    if dest.name == "slack":
        return [Request(dest, slack.message(summary, items, config.max_listed), items)]
    return [Request(dest, webhook.message(summary, items, message_id, state.now()), items)]


def _plan(con: duckdb.DuckDBPyConnection, config: AlertConfig, outcome: AlertOutcome) -> None:
    try:
        evaluation = evaluate(con, config)
    except duckdb.CatalogException:
        raise WarehouseNotReady("the warehouse has no marts yet: run `syncscope run` first") from None
    if evaluation.as_of is None:
        raise WarehouseNotReady("the warehouse has no load yet, so no as_of: run `syncscope run` first")
    outcome.as_of = evaluation.as_of
    muted = {(b.vendor, b.sync_id) for b in evaluation.muted}
    muted |= {(r["vendor"], r["sync_id"]) for r in evaluation.rows
              if config.muted_until(r["vendor"], r["sync_id"], evaluation.as_of)}  # fmt: skip
    outcome.muted = len(muted)
    state.ensure_schema(con)
    state.mark_interrupted(con)
    state.apply(con, evaluation.as_of, evaluation.breaches, muted)
    names = [d.name for d in config.destinations]
    outcome.transitions = {
        name: [replace(t, link=config.link_for(t.vendor, t.sync_id)) for t in items]
        for name, items in pending(con, names, evaluation.as_of, config.remind_after_s, muted).items()
    }
    outcome.fleet = fleet(evaluation.rows, evaluation.as_of, len(state.open_incidents(con)))
    message_id = uuid.uuid4().hex
    for dest in config.destinations:
        outcome.requests += _requests(dest, outcome.transitions[dest.name], outcome.fleet, config, message_id)


def run_alerts(db: Path, config: AlertConfig, dry_run: bool = False) -> AlertOutcome:
    """Evaluate and notify; with `dry_run` everything is computed, then rolled back, and nothing sent."""
    protect(config.secrets)
    outcome = AlertOutcome(dry_run=dry_run)
    with duckdb.connect(str(db)) as con:
        con.execute("begin")
        _plan(con, config, outcome)
        if dry_run:
            con.execute("rollback")
            return outcome
        for request in outcome.requests:
            message_id = request.body.get("message_id") or uuid.uuid4().hex
            rows = [(message_id, outcome.as_of, request.destination.name, t.kind, t.dedup_key, t.incident_id)
                    for t in request.transitions]  # fmt: skip
            request.ids = state.record(con, rows)
        con.execute("commit")
    _pause_for_tests()
    _send(outcome.requests, config)
    with duckdb.connect(str(db)) as con:
        con.execute("begin")
        for request in outcome.requests:
            d = request.delivery
            state.finish(con, request.ids, "sent" if d.ok else "failed", d.status, d.attempts, d.error)
        con.execute("commit")
    return outcome


def _send(requests: list[Request], config: AlertConfig) -> None:
    """Every request, one destination failing never stopping the others."""
    error_text = {"slack": slack.error, "pagerduty": pagerduty.error, "webhook": webhook.error}
    with httpx.Client(follow_redirects=False) as client:
        for request in requests:
            dest = request.destination
            if dest.name == "email":
                request.delivery = mail(dest, request.body, config)
                continue
            request.delivery = post(client, dest.name, dest.url, request.body, config, error_text[dest.name],
                                    headers=dest.headers)  # fmt: skip


def _pause_for_tests() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(600)
