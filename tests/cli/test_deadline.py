"""`syncscope run --timeout`: a run that cannot finish ends with exit 9 and releases the lock."""

from __future__ import annotations

from pathlib import Path

from pipelines.deadline import EXIT_DEADLINE, Deadline
from pipelines.exit_codes import EXIT_OK
from pipelines.lock import warehouse_lock
from pipelines.run import run_all
from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope
from tests.conftest import small_config


def test_a_hung_vendor_ends_the_run_at_its_deadline_with_exit_9(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Sandbox(small_config(days=1, records=100)) as box:
        box.set_faults("ai_squared", Faults(latency_ms=4000))  # every answer slower than the deadline
        hung = syncscope("run", "--db", str(db), "--timeout", "1", env=box.env())
        assert hung.returncode == EXIT_DEADLINE, hung.stdout + hung.stderr
        assert hung.stdout == ""
        assert hung.stderr == "run: the run's deadline of 1s passed while ai_squared was loading; stopped\n"
        with warehouse_lock(db):  # the lock died with the process
            pass
        box.set_faults("ai_squared", Faults())
        again = syncscope("run", "--db", str(db), env=box.env())
    assert again.returncode == EXIT_OK, again.stdout + again.stderr


def test_a_vendor_not_started_by_the_deadline_is_not_started(tmp_path: Path) -> None:
    with Sandbox(small_config(days=1, records=100)) as box:
        box.reset_requests()
        deadline = Deadline(1e-9)
        outcome = run_all(tmp_path / "w.duckdb", ["timbal", "paragon"], publish=False, deadline=deadline)
        assert box.requests("timbal") == box.requests("paragon") == []
    assert outcome.exit_code == EXIT_DEADLINE
    assert [(r.vendor, r.status, r.message) for r in outcome.results] == [
        ("timbal", "failed", "timbal: not started: the run's deadline of 1e-09s passed"),
        ("paragon", "failed", "paragon: not started: the run's deadline of 1e-09s passed"),
    ]
    assert outcome.models is None
