"""`syncscope alert` on a fleet of 1,000 syncs with 5% in breach: seconds and messages sent.

The marts the rules read (marts.as_of, marts.sync_health, marts.sync_runs) are written directly,
so the breach share is exact: `breach_share` of the syncs have a failing streak of 5 (> 3, the
default limit), every other sync is healthy, and sync_runs holds `runs_per_sync` finished runs
per sync with no failed record (the size of the 1 M-run warehouse for the failed-record-share
query, which reads it). Slack, PagerDuty and a webhook are local receivers on loopback
(tests/alerts/receiver.py). The command runs as a user runs it (`python -m pipelines.cli alert`,
process start to exit), on a fresh copy of the marts each repetition, then once more with
nothing changed.

    python -m bench --only alert

Target, from the README's promise: one message per destination per run (PagerDuty: one event per
transition, as its API takes them), none on a re-run; and the run within ALERT_SECONDS.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.measure import MB, Run, median, run_command, spread
from bench.results import Case, Target, fmt
from tests.alerts.receiver import PAGERDUTY_OK, Receiver

ALERT_SECONDS = 2.0  # a scheduled `syncscope alert` after every run: about a process start, not more
AS_OF = "2026-11-29 00:00:00+00"


@dataclass(frozen=True)
class Fleet:
    syncs: int = 1000
    breach_share: float = 0.05
    runs_per_sync: int = 1000

    @property
    def breaching(self) -> int:
        return round(self.syncs * self.breach_share)

    def describe(self) -> str:
        return (f"{self.syncs:,} syncs, {self.breaching:,} in breach ({self.breach_share:.0%}), "
                f"{self.syncs * self.runs_per_sync:,} runs")  # fmt: skip


def write_fleet(db: Path, fleet: Fleet) -> None:
    """The three marts the rules read, as a models build at AS_OF would leave them."""
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        con.execute(f"create table marts.as_of as select timestamptz '{AS_OF}' as as_of, "
                    "false as is_overridden, 0.9::double as degraded_below")  # fmt: skip
        con.execute(
            f"""
            create table marts.sync_health as
            select a.as_of, 'ai_squared' as vendor, i::varchar as sync_id, 'sync ' || i as sync_name,
                   600.0::double as seconds_since_success, 600.0::double as staleness_s,
                   3600.0::double as expected_interval_s,
                   case when i <= {fleet.breaching} then 0.95 else 1.0 end::double as success_rate_7d,
                   case when i <= {fleet.breaching} then 5 else 0 end::bigint as consecutive_failures,
                   case when i <= {fleet.breaching} then 'failing' else 'healthy' end as health
            from range(1, {fleet.syncs + 1}) as s(i) cross join marts.as_of as a
            """
        )
        con.execute(
            f"""
            create table marts.sync_runs as
            select 'ai_squared' as vendor, s.i::varchar as sync_id, (s.i * 100000 + r.j)::varchar as run_id,
                   a.as_of - to_seconds(3600 * r.j) as finished_at, 100::bigint as rows_synced,
                   0::bigint as rows_failed
            from range(1, {fleet.syncs + 1}) as s(i) cross join range(1, {fleet.runs_per_sync + 1}) as r(j)
                 cross join marts.as_of as a
            """
        )


def _env(receivers: dict[str, Receiver]) -> dict[str, str]:
    return {
        "ALERTS__SLACK__WEBHOOK_URL": receivers["slack"].url + "/services/T0/B0/bench",
        "ALERTS__PAGERDUTY__ROUTING_KEY": "0123456789abcdef0123456789abcdef",
        "ALERTS__PAGERDUTY__URL": receivers["pagerduty"].url + "/v2/enqueue",
        "ALERTS__WEBHOOK__URL": receivers["webhook"].url + "/hooks/bench",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }


def _alert(db: Path, receivers: dict[str, Receiver]) -> tuple[Run, dict[str, list[dict]]]:
    """One `syncscope alert`; the bodies each receiver got during it."""
    for r in receivers.values():
        r.requests.clear()
    command = [sys.executable, "-m", "pipelines.cli", "alert", "--db", str(db)]
    run = run_command("alert", command, _env(receivers))
    return run, {name: r.bodies() for name, r in receivers.items()}


def _said(run: Run) -> str:
    return "; ".join(" ".join(line.split()) for line in run.output.splitlines())


def case(repeat: int, workdir: Path, fleet: Fleet | None = None) -> Case:
    """The alert case: `repeat` first runs (each on a fresh copy of the marts), each followed by a re-run."""
    fleet = fleet or Fleet()
    template = workdir / "alert-fleet.duckdb"
    write_fleet(template, fleet)
    first: list[Run] = []
    again: list[Run] = []
    sent: dict[str, list[dict]] = {}
    resent: dict[str, list[dict]] = {}
    with Receiver() as slack, Receiver(PAGERDUTY_OK) as pagerduty, Receiver() as webhook:
        receivers = {"slack": slack, "pagerduty": pagerduty, "webhook": webhook}
        for rep in range(repeat):
            db = workdir / f"alert-{rep}.duckdb"
            shutil.copy(template, db)
            run, sent = _alert(db, receivers)
            first.append(run)
            run, resent = _alert(db, receivers)
            again.append(run)
    expected = {"slack": 1, "pagerduty": fleet.breaching, "webhook": 1}
    listed = {"slack": len(sent["slack"][0]["blocks"]) if sent["slack"] else 0,
              "webhook": len(sent["webhook"][0]["transitions"]) if sent["webhook"] else 0}  # fmt: skip
    built = Case("alert", f"7. `syncscope alert` on {fleet.describe()}",
                 ["figure", "first run (everything new)", "re-run (nothing changed)"])  # fmt: skip
    seconds = [r.seconds for r in first]
    seconds_again = [r.seconds for r in again]
    built.rows = [
        ["wall time, process start to exit (median)", fmt(median(seconds), " s"),
         fmt(median(seconds_again), " s")],
        ["wall time range", spread(seconds), spread(seconds_again)],
        ["peak RSS (median)", fmt(median([r.peak_rss for r in first]) / MB, " MB"),
         fmt(median([r.peak_rss for r in again]) / MB, " MB")],
        *[[f"messages to {name} (expected {n})", f"{len(sent[name]):,}", f"{len(resent[name]):,}"]
          for name, n in expected.items()],
        ["the command said", _said(first[-1]), _said(again[-1])[:80]],
    ]  # fmt: skip
    count = sum(len(bodies) for bodies in sent.values())
    recount = sum(len(bodies) for bodies in resent.values())
    messages = count / sum(expected.values())
    built.targets = [
        Target("alert messages sent vs one per destination (PagerDuty: per transition)", messages, "<=", 1),
        Target("alert messages sent again on a re-run with nothing changed", recount, "<=", 0, ""),
        Target(f"alert wall time on {fleet.syncs:,} syncs, {fleet.breaching} in breach", median(seconds),
               "<=", ALERT_SECONDS, " s"),
    ]  # fmt: skip
    built.notes = [
        f"The webhook's one message lists {listed['webhook']} transitions (all); Slack's has "
        f'{listed["slack"]} Block Kit blocks (max_listed = 20 transitions, then "and N more").',
        "The marts are written directly (bench/alert_case.py: `write_fleet`), so exactly "
        f"{fleet.breaching} syncs breach one rule (failing_streak 5 > 3) and none breaches another.",
    ]
    built.commands = ["python -m bench --only alert   # writes the marts, starts the receivers, runs:",
                      "syncscope alert --db alert-0.duckdb"]  # fmt: skip
    built.data = {"seconds": median(seconds), "messages": count,
                  "expected": sum(expected.values()), "resent": recount,
                  "webhook_listed": listed.get("webhook", 0)}  # fmt: skip
    return built
