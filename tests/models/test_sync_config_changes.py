"""marts.sync_config_changes against the Timbal sandbox's truth: configs changed over its admin API,
polled, and compared with the configuration each poll could see (truth's versions at that time)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from pipelines.data_tests import run_tests
from pipelines.models import build
from sandbox.service import Sandbox
from tests.conftest import Loader, small_config
from tests.models.compare import mart_rows

FIELDS = ("name", "enabled", "interval_secs", "cursor_column", "dest_table", "source_kind", "connection_ref",
          "source_schema", "source_table", "kb_uid", "connector_id")  # fmt: skip


def admin(box: Sandbox, method: str, path: str, **kwargs: object) -> httpx.Response:
    response = httpx.request(method, f"{box.url('timbal')}/_sandbox/timbal/{path}", **kwargs)
    response.raise_for_status()
    return response


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def text(value: object) -> str | None:
    """A config value as the mart keeps it: text, booleans as DuckDB writes them."""
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def expected_changes(versions: dict[str, list[dict]], polls: list[int]) -> set[tuple]:
    """Per sync, the configuration in force at each poll (truth's newest version valid by then),
    and the fields that differ from the previous poll's, stamped with the later poll."""
    out = set()
    for sync_id, history in versions.items():
        seen = [[v for v in history if v["valid_from"] <= iso_ms(t)][-1] for t in polls]
        for t, before, after in zip(polls[1:], seen[:-1], seen[1:], strict=True):
            at = datetime.fromtimestamp(t / 1000, UTC)
            out |= {
                (sync_id, at, f, text(before[f]), text(after[f])) for f in FIELDS if before[f] != after[f]
            }
    return out


def test_config_changes_are_what_the_polls_saw_change(load: Loader, db: Path) -> None:
    with Sandbox(small_config()) as box:
        ids = box.world.timbal.sync_ids
        polls: list[int] = []

        def poll() -> None:
            assert load(box, "timbal").status == "loaded"
            polls.append(box.world.now)

        def change(sync_id: str, **fields: object) -> None:
            box.advance(60)  # after the poll before it: the change is not visible to that poll
            admin(box, "PATCH", f"syncs/{sync_id}", json=fields)

        poll()
        change(ids[0], enabled=False, interval_secs=600)  # two fields in one change
        box.advance(600)
        poll()
        change(ids[1], name="Orders ✓ renamed")
        change(ids[1], interval_secs=900)
        change(ids[1], interval_secs=1200)  # three changes between two polls: seen as one
        change(ids[2], cursor_column="updated_at", dest_table="kb_renamed")
        box.advance(600)
        poll()
        change(ids[0], enabled=True)  # back as it was
        box.advance(600)
        poll()
        poll()  # nothing changed since the last poll
        versions = {s: admin(box, "GET", f"truth/syncs/{s}/config_versions").json()["versions"] for s in ids}
        build(db, as_of=datetime.fromtimestamp(box.world.now / 1000, UTC))
    expected = expected_changes(versions, polls)
    assert len(expected) == 2 + 2 + 2 + 1, sorted(expected)  # the world's own config never changes
    rows = mart_rows(db, "sync_config_changes")
    assert all(r["vendor"] == "timbal" for r in rows)
    actual = {(r["sync_id"], r["changed_at"].to_pydatetime(), r["field"], r["old_value"], r["new_value"])
              for r in rows}  # fmt: skip
    assert actual == expected and len(rows) == len(expected)
    assert (ids[1], datetime.fromtimestamp(polls[2] / 1000, UTC), "interval_secs", text(versions[ids[1]][0]
            ["interval_secs"]), "1200") in actual  # fmt: skip
    assert [t.summary() for t in run_tests(db) if t.failed] == []
