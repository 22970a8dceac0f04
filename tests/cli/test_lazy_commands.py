"""`syncscope`'s commands are imported when they run: `--help` lists them without the loader."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipelines.cli import COMMANDS, main

HEAVY = ("dlt", "pyarrow", "pandas", "numpy", "duckdb", "httpx", "sources", "pipelines.runner")


def imported_after(*args: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after `syncscope ARGS` (in-process, no exit)."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from pipelines.cli import main\n"
        f"result = CliRunner().invoke(main, {list(args)!r})\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return eval(done.stdout)  # a printed list of module names


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own_first_sentence(name: str) -> None:
    where = COMMANDS[name]
    command = getattr(importlib.import_module(where.module), where.attribute)
    assert command.get_short_help_str(1000) == where.summary
    assert command.name == name


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(COMMANDS)
    assert "  report   Sync health, worst first, coloured by health." in listed


def test_help_and_a_commands_help_import_only_what_that_command_needs() -> None:
    assert imported_after("--help") == []
    # alert reads its settings through dlt's config and the warehouse through DuckDB, and sends
    # with httpx: not the loader (pyarrow, pandas, the vendor sources, the runner) nor numpy
    assert imported_after("alert", "--help") == ["dlt", "duckdb", "httpx"]
    assert imported_after("report", "--help") == ["dlt", "duckdb"]  # numpy only for --html


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["alrt"])
    assert result.exit_code == 2
    assert "No such command 'alrt'" in result.output
