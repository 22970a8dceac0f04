"""`require_program`: a missing system program skips with the package to install, or fails under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_program


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only one fake program, `present`."""
    program = tmp_path / "present"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


def test_a_program_on_the_path_is_returned(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert require_program("present", "present-pkg") == str(bin_dir / "present")


@pytest.mark.parametrize("ci", [None, ""])
def test_a_missing_program_skips_naming_the_package_outside_ci(
    bin_dir: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_program("chromium", "chromium")
    assert skipped.value.msg == "chromium not found: apt-get install chromium"


def test_a_missing_program_fails_under_ci(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        require_program("psql", "postgresql-client")
    assert (
        failed.value.msg
        == "psql not found: apt-get install postgresql-client (CI is set, so a missing program fails)"
    )
