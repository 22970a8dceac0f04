"""Which sync and run a failure belongs to, carried on the exception itself.

dlt wraps an error raised in a resource in its own exceptions and, in a transformer fed by a
thread pool, the error crosses threads; neither knows which sync or run was being read. So the
sources tag the exception on its way out (`where`, `rows_to`), and the runner's failure line
(`pipelines/failures.py`) names them: "ai_squared: sync 12 run 345: ...". The innermost tag
wins: a run named where a batch failed is not overwritten by the sync loop around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

ATTRIBUTE = "syncscope_where"
T = TypeVar("T")


def tag(exc: BaseException, **ids: Any) -> None:
    """Add `ids` (e.g. sync=12, run=345) the exception does not carry yet; None values are skipped."""
    known: dict[str, Any] = dict(getattr(exc, ATTRIBUTE, None) or {})
    added = {k: v for k, v in ids.items() if v is not None and k not in known}
    if not added:
        return
    try:
        setattr(exc, ATTRIBUTE, {**known, **added})
    except AttributeError:  # an exception type without a __dict__: the line just names less
        return
    exc.add_note("while loading " + describe(added))  # shown in the debug log's traceback


def where_of(exc: BaseException) -> dict[str, Any]:
    return dict(getattr(exc, ATTRIBUTE, None) or {})


def describe(ids: dict[str, Any]) -> str:
    """`sync 12 run 345` (in the order given)."""
    return " ".join(f"{name} {value}" for name, value in ids.items())


@contextmanager
def where(**ids: Any) -> Iterator[None]:
    """Tag any exception leaving the block with `ids`."""
    try:
        yield
    except Exception as exc:
        tag(exc, **ids)
        raise


def rows_to(convert: Callable[[list[dict]], T], rows: list[dict], sync: str, run: str) -> T:
    """`convert(rows)`; when it fails, the error is tagged with the sync and run of the row that
    fails on its own (found by halving: a few conversions, only on the failure path). A failure
    that needs several rows together (types that disagree across rows) is left untagged."""
    try:
        return convert(rows)
    except Exception as exc:
        row = _culprit(convert, rows)
        if row is not None:
            tag(exc, sync=row.get(sync), run=row.get(run))
        raise


def _culprit(convert: Callable[[list[dict]], Any], rows: list[dict]) -> dict | None:
    while len(rows) > 1:
        half = len(rows) // 2
        for part in (rows[:half], rows[half:]):
            if _fails(convert, part):
                rows = part
                break
        else:
            return None
    return rows[0] if rows else None  # the whole batch failed, or the half chosen did


def _fails(convert: Callable[[list[dict]], Any], rows: list[dict]) -> bool:
    try:
        convert(rows)
    except Exception:
        return True
    return False
