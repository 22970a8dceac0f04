"""A reader of PostgreSQL sees the previous delivery or the new one, never a mix, while runs deliver."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.deliver.compare import pg_query
from tests.deliver.test_postgres import deliver_env, syncscope

# Another process querying every delivered mart in a loop, two ways in turn: one statement (its own
# snapshot) and a REPEATABLE READ transaction of one query per table. Each pass is a JSON line
# with the versions `delivery` names, the row counts it states and the rows actually there.
# Any error ends it non-zero; a line on stdin stops it after one last pass.
READER = r"""
import json, select, sys
import psycopg2

url, log = sys.argv[1], open(sys.argv[2], "a")
con = psycopg2.connect(url)
cur = con.cursor()
cur.execute("select table_name from syncscope.delivery order by 1")
tables = [r[0] for r in cur.fetchall()]
con.commit()

def one_statement():
    counts = ", ".join(f'(select count(*) from syncscope."{t}")' for t in tables)
    cur.execute(
        "select (select array_agg(distinct version) from syncscope.delivery), "
        "(select json_object_agg(table_name, row_count) from syncscope.delivery), "
        f"json_build_array({counts})"
    )
    versions, stated, found = cur.fetchone()
    con.commit()
    return versions, stated, dict(zip(tables, found))

def repeatable_read():
    con.set_session(isolation_level="REPEATABLE READ")
    cur.execute(
        "select array_agg(distinct version), json_object_agg(table_name, row_count) from syncscope.delivery"
    )
    versions, stated = cur.fetchone()
    found = {}
    for t in tables:
        cur.execute(f'select count(*) from syncscope."{t}"')
        found[t] = cur.fetchone()[0]
    con.commit()
    con.set_session(isolation_level="READ COMMITTED")
    return versions, stated, found

passes = 0
while True:
    stop = bool(select.select([sys.stdin], [], [], 0)[0])
    mode = "statement" if passes % 2 == 0 else "repeatable_read"
    versions, stated, found = (one_statement if mode == "statement" else repeatable_read)()
    log.write(json.dumps({"mode": mode, "versions": versions, "stated": stated, "found": found}) + "\n")
    log.flush()
    passes += 1
    if stop:
        break
"""


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


def test_a_reader_never_sees_a_mix_of_two_deliveries_and_sees_the_new_one_afterwards(
    box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    db, env, log = tmp_path / "w.duckdb", deliver_env(box, pg_url), tmp_path / "reader.jsonl"
    assert syncscope("run", "--db", str(db), "--deliver", env=env).returncode == EXIT_OK
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, pg_url, str(log)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not log.exists() and reader.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        delivered = []
        for _ in range(2):
            box.advance(3 * 3600)  # new runs: the next delivery has other row counts
            result = syncscope("run", "--db", str(db), "--deliver", env=env)
            assert result.returncode == EXIT_OK, result.stderr
            delivered.append(pg_query(pg_url, "select distinct version from syncscope.delivery")[0][0])
        _, errors = reader.communicate("stop\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert (reader.returncode, errors) == (0, "")
    passes = [json.loads(line) for line in log.read_text().splitlines()]
    assert {p["mode"] for p in passes} == {"statement", "repeatable_read"}
    mixed = [p for p in passes if len(p["versions"]) != 1 or p["stated"] != p["found"]]
    assert mixed == []
    seen = [p["versions"][0] for p in passes]
    assert seen == sorted(seen)  # never back to an older delivery
    assert seen[-1] == delivered[-1]
    assert len(set(seen)) >= 2
