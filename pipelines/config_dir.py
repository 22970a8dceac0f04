"""Where syncscope's settings live, whatever the working folder: `--config-dir` (default ./.dlt).

dlt reads `.dlt/config.toml` and `.dlt/secrets.toml` from the current working directory only,
so a scheduler starting `syncscope` elsewhere silently ran without them: dlt's telemetry back on,
`[check]` thresholds ignored. `use(folder)` points dlt's run context at `folder` for the whole
process (its own provider list, as dlt does for a project directory), and dlt's telemetry is off
unless asked for (`RUNTIME__DLTHUB_TELEMETRY=true`, or `dlthub_telemetry = true` in
`[runtime]`), wherever syncscope runs.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "SYNCSCOPE_CONFIG_DIR"
TELEMETRY = "RUNTIME__DLTHUB_TELEMETRY"


class ConfigDirError(ValueError):
    """`--config-dir` names something that is not a folder; one line naming the option."""


def use(folder: Path | None) -> Path:
    """Read settings from `folder` (default ./.dlt); telemetry off unless configured on."""
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
    from dlt.common.runtime.run_context import RunContext

    chosen = folder is not None
    folder = (folder or Path(".dlt")).expanduser().resolve()
    if chosen and not folder.is_dir():
        raise ConfigDirError(f"--config-dir {folder}: not a folder")

    class _Context(RunContext):
        @property
        def settings_dir(self) -> str:
            return str(folder)

    if TELEMETRY not in os.environ and not _telemetry_in_toml(folder):
        os.environ[TELEMETRY] = "false"
    Container()[PluggableRunContext].reload(_Context(str(Path.cwd())))
    return folder


def _telemetry_in_toml(folder: Path) -> bool:
    """True when config.toml sets `[runtime] dlthub_telemetry` itself (the user's choice wins)."""
    import tomllib

    path = folder / "config.toml"
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return False
    runtime = data.get("runtime")
    return isinstance(runtime, dict) and "dlthub_telemetry" in runtime
