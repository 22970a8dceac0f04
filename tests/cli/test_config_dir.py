"""Issue 13, case 12 (configuration part): settings found from any working folder, telemetry off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope
from tests.cli.test_terminal_safety import hostile_warehouse
from tests.conftest import small_config

RELAXED = "[check]\nmin_success_rate = 0\nmax_staleness_factor = 1e9\nmax_failing_streak = 100000\n"


def test_check_reads_config_dir_from_any_working_folder(tmp_path: Path) -> None:
    db, elsewhere, config = tmp_path / "w.duckdb", tmp_path / "elsewhere", tmp_path / "etc" / "syncscope"
    hostile_warehouse(db)  # three failing syncs: breaches under the default thresholds
    elsewhere.mkdir()
    config.mkdir(parents=True)
    (config / "config.toml").write_text(RELAXED)
    default = syncscope("check", "--db", str(db), cwd=elsewhere)
    assert default.returncode == 1
    relaxed = syncscope("--config-dir", str(config), "check", "--db", str(db), cwd=elsewhere)
    assert (relaxed.returncode, relaxed.stdout) == (0, "all 3 syncs ok\n")
    by_env = syncscope("check", "--db", str(db), cwd=elsewhere, env={"SYNCSCOPE_CONFIG_DIR": str(config)})
    assert (by_env.returncode, by_env.stdout) == (0, "all 3 syncs ok\n")
    missing = syncscope("--config-dir", str(tmp_path / "nope"), "check", "--db", str(db), cwd=elsewhere)
    assert missing.returncode == 2 and f"--config-dir {tmp_path / 'nope'}: not a folder" in missing.stderr


def test_vendor_settings_come_from_config_dir(tmp_path: Path) -> None:
    with Sandbox(small_config(days=1, records=100)) as box:
        config = tmp_path / "conf"
        config.mkdir()
        env = box.env()
        (config / "config.toml").write_text(
            f'[sources.timbal]\nbase_url = "{env["SOURCES__TIMBAL__BASE_URL"]}"\n'
            f'org_id = "{env["SOURCES__TIMBAL__ORG_ID"]}"\n'
        )
        key = env["SOURCES__TIMBAL__API_KEY"]
        (config / "secrets.toml").write_text(f'[sources.timbal]\napi_key = "{key}"\n')
        result = syncscope("--config-dir", str(config), "run", "--vendor", "timbal", "--db",
                           str(tmp_path / "w.duckdb"), cwd=tmp_path)  # fmt: skip
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert result.stdout.startswith("timbal      loaded in ")


def test_dlt_telemetry_is_off_wherever_syncscope_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUNTIME__DLTHUB_TELEMETRY"}
    code = (
        "from dlt.common.configuration import resolve_configuration\n"
        "from dlt.common.configuration.specs import RuntimeConfiguration\n"
        "from pipelines.cli import main\n"
        "try:\n"
        "    main(['check', '--db', 'absent.duckdb'], standalone_mode=False)\n"
        "except Exception:\n"
        "    pass\n"
        "print(resolve_configuration(RuntimeConfiguration()).dlthub_telemetry)\n"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
