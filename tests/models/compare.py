"""Read a mart into pandas and compare it with an expected frame, column by column."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd


def mart(db: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(f"select * from marts.{name}").df()


def mart_rows(db: Path, name: str) -> list[dict]:
    """A mart as dicts, with None (not NaN/NaT) where a value is missing."""
    frame = mart(db, name)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _same(a: object, b: object) -> bool:
    a_missing = a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NaT
    b_missing = b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NaT
    if a_missing or b_missing:
        return a_missing and b_missing
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return a == b


def assert_mart_equals(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Same keys, and every expected column equal (floats to 1e-9, missing == missing)."""
    actual = actual.astype(object).where(actual.notna(), None).set_index(keys).sort_index()
    expected = expected.astype(object).where(expected.notna(), None).set_index(keys).sort_index()
    assert list(actual.index) == list(expected.index), "different rows"
    for column in expected.columns:
        bad = [
            (key, a, e)
            for key, a, e in zip(actual.index, actual[column], expected[column], strict=True)
            if not _same(a, e)
        ]
        assert not bad, f"{column}: {len(bad)} rows differ, e.g. {bad[:3]}"
