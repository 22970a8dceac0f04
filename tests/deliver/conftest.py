"""A real PostgreSQL server per test session, and a fresh database per test.

`require_postgres` behaves like the generic `require_program(name, package)` helper planned for
tests/conftest.py (another branch): outside CI a missing server is one skip line naming the
Debian package; in CI (env CI set) it is a failure, since .ci/run installs the package.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.deliver.pg_server import PACKAGE, PostgresServer, pg_bindir, remove, start_server


def require_postgres() -> None:
    """Skip (fail in CI) when the PostgreSQL server binaries are not installed."""
    if pg_bindir() is None:
        message = f"PostgreSQL server binaries not found: apt-get install {PACKAGE}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    require_postgres()
    server = start_server()
    yield server
    remove(server)


_numbers = itertools.count()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A database of its own for one test, on the session's server (password auth over TCP)."""
    name = f"t{os.getpid()}_{next(_numbers)}"
    postgres.psql(f"create database {name}")
    return postgres.url(name)
