"""Spec worlds: what each vendor serves, generated from the excerpts, with consistent ids.

Objects the excerpts describe (AI Squared runs and records, Timbal SyncView/SyncStatsView/
SyncRunView, Paragon SyncStatus) come from `SchemaStrategies` over the excerpt itself; the
listings the excerpts leave out (AI Squared `/syncs`, Timbal's sync list, Paragon `/api/syncs`)
take the shape the sandbox serves. Ids hold together: runs belong to their sync, records to
their run, and ids are unique where the vendor keys on them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.spec_validation import spec_dict

from .rfc3339 import date_times
from .strategies import SchemaStrategies, json_values, texts

RUN_STATUSES = ["success", "failed", "canceled", "pending", "in_progress", "queued"]
RECORD_STATUSES = ["failed", "success", "pending"]
FREQUENCIES = ["1m", "5m", "15m", "30m", "1h", "6h", "12h", "24h"]


@dataclass
class AiSquaredWorld:
    syncs: list[dict]  # JSON:API resources as /syncs lists them
    runs: dict[int, list[dict]]  # sync id -> its run resources
    records: dict[tuple[int, int], list[dict]]  # (sync id, run id) -> its record resources
    token: str = "conformance-token"
    workspace_id: str = "17"

    def env(self, url: str) -> dict[str, str]:
        return {
            "SOURCES__AI_SQUARED__BASE_URL": url,
            "SOURCES__AI_SQUARED__API_TOKEN": self.token,
            "SOURCES__AI_SQUARED__WORKSPACE_ID": self.workspace_id,
            "SOURCES__AI_SQUARED__RECORDS_MODE": "all",
            # Small pages: the crawl follows `links.next` across pages, as on a big workspace.
            "SOURCES__AI_SQUARED__RUNS_PER_PAGE": "2",
            "SOURCES__AI_SQUARED__RECORDS_PER_PAGE": "2",
        }


@dataclass
class TimbalWorld:
    org_id: str
    details: list[dict]  # SyncDetailRes per sync, in list order; the list serves each `sync`
    api_key: str = "conformance-key"

    def env(self, url: str) -> dict[str, str]:
        return {
            "SOURCES__TIMBAL__BASE_URL": url,
            "SOURCES__TIMBAL__ORG_ID": self.org_id,
            "SOURCES__TIMBAL__API_KEY": self.api_key,
        }


@dataclass
class ParagonWorld:
    items: list[dict]  # GET /api/syncs entries
    statuses: dict[str, dict]  # sync id -> SyncStatus
    user_id: str = "user-1"
    token: str = field(default="")

    def __post_init__(self) -> None:
        if not self.token:
            claims = base64.urlsafe_b64encode(json.dumps({"sub": self.user_id}).encode()).decode()
            self.token = f"eyJhbGciOiJIUzI1NiJ9.{claims.rstrip('=')}.c2ln"

    def env(self, url: str) -> dict[str, str]:
        return {"SOURCES__PARAGON__BASE_URL": url, "SOURCES__PARAGON__USER_TOKENS": json.dumps([self.token])}


def _item_schema(spec_name: str) -> dict:
    path = next(iter(spec_dict(spec_name)["paths"].values()))
    schema = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return schema["properties"]["data"]["items"]


def unique_ints(n: int) -> st.SearchStrategy[list[int]]:
    ids = st.one_of(st.integers(1, 2**63 - 1), st.integers(1, 10_000))
    return st.lists(ids, min_size=n, max_size=n, unique=True)


# AI Squared -------------------------------------------------------------------------------------
def _sync_resource(sync_id: int) -> st.SearchStrategy[dict]:
    """A sync as the sandbox lists it (the excerpts have no sync list)."""
    connector = st.fixed_dictionaries(
        {
            "id": st.integers(1, 2**31),
            "name": texts(),
            "connector_type": st.sampled_from(["source", "destination"]),
        }
    )
    attributes = st.fixed_dictionaries(
        {
            # The sync list is in no excerpt (VENDORS.md shape) and its rows go through dlt's
            # dict-row normaliser, a Python datetime: instants within years 2-9998 after offsets.
            "created_at": date_times(2, 9998),
            "updated_at": date_times(2, 9998),
            "source_id": st.integers(1, 2**31),
            "destination_id": st.integers(1, 2**31),
            "model_id": st.integers(1, 2**31),
            "schedule_type": st.sampled_from(["manual", "interval", "cron_expression"]),
            "sync_mode": st.sampled_from(["full_refresh", "incremental"]),
            "sync_interval": st.integers(1, 1000),
            "sync_interval_unit": st.sampled_from(["minutes", "hours", "days", "weeks"]),
            "stream_name": texts(),
            "status": st.sampled_from(["disabled", "healthy", "pending", "failed", "aborted"]),
            "source": connector,
            "destination": connector,
        },
        optional={"cron_expression": st.one_of(st.none(), texts())},
    )
    return attributes.map(lambda a: {"id": str(sync_id), "type": "syncs", "attributes": a})


def _runs_of(sync_id: int, run_ids: list[int]) -> st.SearchStrategy[list[dict]]:
    gen = SchemaStrategies(spec_dict("ai_squared_list_sync_runs"))
    schema = _item_schema("ai_squared_list_sync_runs")
    runs = []
    for run_id in run_ids:
        spec_run = gen.build(schema, always={"id", "type", "attributes"}, overrides={
            "id": st.just(str(run_id)),
            "type": st.one_of(st.just("sync_runs"), texts()),
            "attributes": gen.build(
                schema["properties"]["attributes"],
                overrides={
                    "sync_id": st.just(sync_id),
                    "status": st.one_of(st.sampled_from(RUN_STATUSES), texts()),
                    # The server sends null for a run not started or finished (VENDORS.md).
                    **{f: st.one_of(st.none(), gen.build(schema["properties"]["attributes"]["properties"][f]))
                       for f in ("started_at", "finished_at", "duration")},
                },
                # sync_id may be absent (the source takes it from the URL); a run without updated_at
                # is set aside (the cursor needs it), so it stays.
                always={"updated_at", "status"},
            ),
        })  # fmt: skip
        runs.append(spec_run)
    return st.tuples(*runs).map(list)


def _records_of(sync_id: int, run_id: int, record_ids: list[int]) -> st.SearchStrategy[list[dict]]:
    gen = SchemaStrategies(spec_dict("ai_squared_list_sync_records"))
    schema = _item_schema("ai_squared_list_sync_records")
    attributes = schema["properties"]["attributes"]
    logs = st.one_of(st.none(), st.dictionaries(texts(6), json_values(), max_size=3))
    out = []
    for record_id in record_ids:
        attrs = gen.build(
            attributes,
            overrides={
                "sync_id": st.just(sync_id),
                "sync_run_id": st.just(run_id),
                "status": st.one_of(st.sampled_from(RECORD_STATUSES), texts()),
            },
        )
        # `logs` is not in the excerpt; the server sends it (VENDORS.md): a JSON object or null.
        attrs = st.builds(lambda a, lg: {**a, "logs": lg}, attrs, logs)
        out.append(
            st.fixed_dictionaries(
                {
                    "id": st.just(str(record_id)),
                    "type": st.one_of(st.just("sync_records"), texts()),
                    "attributes": attrs,
                }
            )
        )
    return st.tuples(*out).map(list)


@st.composite
def ai_squared_worlds(
    draw: st.DrawFn, max_syncs: int = 3, max_runs: int = 3, max_records: int = 3
) -> AiSquaredWorld:
    n_syncs = draw(st.integers(1, max_syncs))
    sync_ids = draw(unique_ints(n_syncs))
    shape = [draw(st.integers(0, max_runs)) for _ in sync_ids]
    run_ids = iter(draw(unique_ints(sum(shape))))
    syncs, runs, records = [], {}, {}
    for sync_id, n_runs in zip(sync_ids, shape, strict=True):
        syncs.append(draw(_sync_resource(sync_id)))
        ids = [next(run_ids) for _ in range(n_runs)]
        runs[sync_id] = draw(_runs_of(sync_id, ids))
        for run_id in ids:
            n_records = draw(st.integers(0, max_records))
            record_ids = draw(unique_ints(n_records))
            records[(sync_id, run_id)] = draw(_records_of(sync_id, run_id, record_ids))
    return AiSquaredWorld(syncs, runs, records)


# Timbal -----------------------------------------------------------------------------------------
@st.composite
def timbal_worlds(draw: st.DrawFn, max_syncs: int = 3, max_runs: int = 3) -> TimbalWorld:
    spec = spec_dict("timbal_get_connector_sync")
    gen = SchemaStrategies(spec)
    org_id = draw(st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zs"]), min_size=1, max_size=8))
    n_syncs = draw(st.integers(1, max_syncs))
    sync_ids = draw(st.lists(texts(), min_size=n_syncs, max_size=n_syncs, unique=True))
    shape = [draw(st.integers(0, max_runs)) for _ in sync_ids]
    job_ids = iter(draw(st.lists(texts(), min_size=sum(shape), max_size=sum(shape), unique=True)))
    details = []
    for sync_id, n_runs in zip(sync_ids, shape, strict=True):
        view = draw(gen.build(gen.component("SyncView"), overrides={"id": st.just(sync_id)}))
        stats = draw(gen.build(gen.component("SyncStatsView")))
        runs = [
            draw(gen.build(gen.component("SyncRunView"), overrides={"job_id": st.just(next(job_ids))}))
            for _ in range(n_runs)
        ]
        details.append({"sync": view, "stats": stats, "recent_runs": runs})
    return TimbalWorld(org_id, details)


# Paragon ----------------------------------------------------------------------------------------
@st.composite
def paragon_worlds(draw: st.DrawFn, max_syncs: int = 3) -> ParagonWorld:
    gen = SchemaStrategies(spec_dict("paragon_get_sync_status"))
    n_syncs = draw(st.integers(1, max_syncs))
    ids = draw(st.lists(texts().filter(bool), min_size=n_syncs, max_size=n_syncs, unique=True))
    items, statuses = [], {}
    for sync_id in ids:
        status = draw(gen.build(gen.component("SyncStatus")))
        frequency = draw(st.one_of(st.none(), st.sampled_from(FREQUENCIES)))
        if frequency is not None:  # not in the excerpt; the server sends it (VENDORS.md)
            status["incrementalAccumulatorFrequency"] = frequency
        statuses[sync_id] = status
        item: dict[str, Any] = {"id": sync_id, "integration": draw(texts()), "pipeline": draw(texts())}
        item["status"] = status["status"]
        if "reason" in status:
            item["reason"] = status["reason"]
        if "credentialId" in status:
            item["credentialId"] = status["credentialId"]
        items.append(item)
    return ParagonWorld(items, statuses)
