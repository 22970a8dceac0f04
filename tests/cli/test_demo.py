"""`syncscope demo`: the README's first command, with no configuration at all."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.cli.test_run_and_check import syncscope


def test_demo_loads_every_vendor_prints_the_report_and_replaces_its_own_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    for _ in range(2):  # a second demo starts over in a new world instead of mixing two
        result = syncscope("demo", "--db", str(db), "--size", "small", env={}, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "sandbox: 12 syncs per vendor, 7 days of history (seed 42)"
    assert [line.split()[0] for line in lines[1:5]] == ["ai_squared", "timbal", "paragon", "models"]
    assert any(line.startswith("36 syncs as of ") for line in lines)
    assert f"  syncscope check --db {db}" in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        per_vendor = dict(
            con.execute("select vendor, count(*) from marts.sync_health group by vendor").fetchall()
        )
        loads = con.execute("select count(*) from raw_ai_squared._dlt_loads").fetchall()[0][0]
    assert per_vendor == {"ai_squared": 12, "timbal": 12, "paragon": 12}
    assert loads == 1


def test_demo_refuses_a_warehouse_it_did_not_make(tmp_path: Path) -> None:
    db = tmp_path / "precious.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table keep as select 1 as x")
    result = syncscope("demo", "--db", str(db), env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{db} exists and was not made by the demo; pass --db another.duckdb" in result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select x from keep").fetchall() == [(1,)]
