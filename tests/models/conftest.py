"""The models tests load sandbox vendors the same way the source tests do."""

from tests.sources.conftest import db, load  # noqa: F401  (fixtures)
