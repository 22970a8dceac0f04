"""Data tests: the queries in `sql/tests/`, plus key tests generated from every model's key line.

A data test is a SELECT returning the rows that break a rule: no row, the test passes. Keys are
declared once, in each model's header (`-- key: vendor, sync_id`), and checked always: every
staging view and mart gets a `unique` and a `not null` test on its key (`-- key: one row` gets a
test that the model holds exactly one row), so a grain stated in a header is a grain checked.

A test that cannot run (a broken file in `sql/tests/`, a model gone missing) is a failure like
one that finds rows: `syncscope run` publishes nothing either way. Its message is one line naming
the file, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from pipelines.models import SQL_DIR, Model, ModelError, connect, discover, raw_columns, stub_missing

SHOWN = 5  # offending rows printed per failing test


@dataclass
class DataTest:
    name: str  # sql/tests/<file>.sql, or "<model> key unique (...)" for a generated one
    failures: int = 0  # offending rows; 0 (and no error) means the test passes
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # the first SHOWN offending rows
    error: str = ""  # the test could not run

    @property
    def failed(self) -> bool:
        return bool(self.failures or self.error)

    def summary(self) -> str:
        if self.error:
            return f"{self.name} cannot run: {self.error}"
        return f"{self.name}: {self.failures} offending row{'s' if self.failures != 1 else ''}"

    def shown_rows(self) -> list[str]:
        """Up to SHOWN offending rows, one line each: `column=value, ...`."""
        return [", ".join(f"{c}={v!r}" for c, v in zip(self.columns, row, strict=True)) for row in self.rows]

    def report(self) -> str:
        """What a person reads: the summary, then the offending rows shown, indented."""
        more = self.failures - len(self.rows)
        lines = [self.summary(), *(f"    {row}" for row in self.shown_rows())]
        return "\n".join([*lines, f"    ... and {more} more"] if more > 0 else lines)


def key_tests(model: Model) -> list[tuple[str, str]]:
    """(name, SQL returning offending rows) for a model's declared key."""
    if not model.key:
        return [
            (f"{model.name} one row", f"select count(*) as row_count from {model.name} having count(*) <> 1")
        ]
    columns = ", ".join(model.key)
    return [
        (
            f"{model.name} key unique ({columns})",
            f"select {columns}, count(*) as copies from {model.name} group by {columns} having count(*) > 1",
        ),
        (
            f"{model.name} key not null ({columns})",
            f"select * from {model.name} where {' or '.join(f'{c} is null' for c in model.key)}",
        ),
    ]


def run_tests(db: Path, sql_dir: Path = SQL_DIR) -> list[DataTest]:
    """Every generated key test, then every `sql/tests/*.sql`, on the built warehouse.

    A test file reads raw tables as a model does: one of a vendor never loaded is stood in for
    by an empty relation (models.stub_missing), so a run with one vendor configured still passes.
    """
    try:
        models = discover(sql_dir)
    except ModelError as exc:
        return [DataTest("model key lines", error=str(exc))]
    generated = [query for model in models for query in key_tests(model)]
    files = sorted((sql_dir / "tests").glob("*.sql"))
    with connect(db, read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        existing = raw_columns(con)
        results = [_run(con, name, sql) for name, sql in generated]
        for path in files:
            name = str(path.relative_to(sql_dir.parent))
            try:
                sql = _prepare(path, existing)
            except _CannotRun as exc:
                results.append(DataTest(name, error=str(exc)))
            else:
                results.append(_run(con, name, sql))
    return results


class _CannotRun(Exception):
    """A test file that is no single SELECT; the message is one line."""


def _prepare(path: Path, existing: dict[str, set[str]]) -> str:
    try:
        text = path.read_text()
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except (OSError, UnicodeDecodeError) as exc:
        raise _CannotRun(f"cannot read it: {exc}") from None
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line = f"line {first.get('line')} " if first.get("line") else ""
        raise _CannotRun(f"{line}syntax error: {first.get('description', exc)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise _CannotRun("a data test is exactly one SELECT of the offending rows")
    return stub_missing(statements[0], existing, []).sql(dialect="duckdb")


def _run(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> DataTest:
    try:
        relation = con.execute(sql)
        rows = relation.fetchmany(SHOWN)
        failures = len(rows)
        while chunk := relation.fetchmany(10_000):
            failures += len(chunk)
    except duckdb.Error as exc:
        return DataTest(name, error=str(exc).splitlines()[0])
    return DataTest(name, failures, [d[0] for d in relation.description], rows)
