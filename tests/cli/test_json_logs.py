"""Issue 13, case 11: with `--log-format json`, every line of stdout and stderr is a JSON object.

Run as the cron recipe runs it (`2>&1` into one log): syncscope's own warnings, dlt's logging and
a vendor's failure must all arrive as JSON objects, never as free text or a bare traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.conftest import small_config


def test_every_line_of_a_json_run_with_2_to_1_is_a_json_object(tmp_path: Path) -> None:
    with Sandbox(small_config(days=1, records=100)) as box:
        box.set_faults("timbal", Faults(error_rate=1.0))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
        env.update(box.env())
        env.update(
            RUNTIME__DLTHUB_TELEMETRY="false",
            SOURCES__AI_SQUARED__SYNC_IDS="[1, 999999]",  # 999999 does not exist: a logged warning
            SOURCES__TIMBAL__MAX_ATTEMPTS="1",
            PYTHONWARNINGS="always",
        )
        code = (  # a library that prints and warns in the middle of a load
            "import logging, sys, warnings\n"
            "import pipelines.runner as runner\n"
            "release = runner.release_memory_after\n"
            "def noisy(info):\n"
            "    print('a stray print'); warnings.warn('a library warns')\n"
            "    logging.getLogger('dlt').error('dlt failed', exc_info=ValueError('boom'))\n"
            "    release(info)\n"
            "runner.release_memory_after = noisy\n"
            "from pipelines.cli import main\n"
            "main()\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code, "run", "--db", str(tmp_path / "w.duckdb"), "--log-format", "json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
        )  # fmt: skip
    lines = result.stdout.splitlines()
    objects = [json.loads(line) for line in lines]  # every line parses
    assert all(isinstance(o, dict) and "event" in o and "ts" in o for o in objects)
    events = [o["event"] for o in objects]
    assert events[-1] == "run" and objects[-1]["exit_code"] == result.returncode == 4
    logged = [o for o in objects if o["event"] == "log"]
    assert {
        "level": "warning",
        "logger": "syncscope.ai_squared",
        "message": "ai_squared: sync 999999 (from sources.ai_squared.sync_ids) not found; skipped",
    }.items() <= logged[0].items()
    assert {"event": "output", "stream": "stdout", "message": "a stray print"}.items() <= objects[1].items()
    dlt_error = next(o for o in logged if o["logger"] == "dlt")
    assert dlt_error["message"] == "dlt failed" and "ValueError: boom" in dlt_error["traceback"]
    assert any("a library warns" in o.get("message", "") for o in objects if o["event"] == "output")
    timbal = next(o for o in objects if o["event"] == "vendor" and o["vendor"] == "timbal")
    assert timbal["status"] == "failed" and timbal["message"].startswith("timbal: HTTP 50")
