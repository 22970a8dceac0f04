"""Load one spec world with the real pipeline and say what did not arrive exactly.

Property tests cannot use function-scoped fixtures (one fixture value would serve every example),
so each load gets its own warehouse folder and its own `SOURCES__<VENDOR>__*` environment here,
restored afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .expect import PROBLEMS
from .server import SpecServer, World


@contextmanager
def vendor_env(vendor: str, values: dict[str, str]) -> Iterator[None]:
    """Exactly `values` for this vendor's settings while the block runs."""
    prefix = f"SOURCES__{vendor.upper()}__"
    saved = {k: v for k, v in os.environ.items() if k.startswith(prefix)}
    for name in saved:
        del os.environ[name]
    os.environ.update(values)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    try:
        yield
    finally:
        for name in [k for k in os.environ if k.startswith(prefix)]:
            del os.environ[name]
        os.environ.update(saved)


def load_world(vendor: str, world: World, db: Path | None = None) -> list[str]:
    """Serve `world`, load `vendor` from it into a fresh warehouse (`db`, or a temporary one),
    and list every problem: an answer that breaks the excerpt, a failed load, a served value
    not stored exactly."""
    if db is None:
        with tempfile.TemporaryDirectory() as tmp:
            return load_world(vendor, world, Path(tmp) / "warehouse.duckdb")
    from pipelines.runner import run_vendor

    with SpecServer(vendor, world) as server, vendor_env(vendor, server.env()):
        result = run_vendor(vendor, db)
    if server.invalid:
        return [f"not spec-valid (a harness bug): {m}" for m in server.invalid]
    if result.status != "loaded":
        return [f"load {result.status}: {result.message}"]
    problems = [f"warning: {w}" for w in result.warnings]
    return problems + PROBLEMS[vendor](db, server.served, world)


def assert_faithful(vendor: str, world: World) -> None:
    problems = load_world(vendor, world)
    assert not problems, f"{vendor}: {len(problems)} problem(s):\n" + "\n".join(problems[:20])
