"""`syncscope`: the command line an operator meets."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines import config_dir, logs
from pipelines.lazy_commands import Lazy, LazyGroup

COMMANDS = {
    "alert": Lazy(
        "pipelines.commands.alert",
        "alert_command",
        "Send only what changed: a sync entering breach, a breach getting worse, a recovery.",
    ),
    "check": Lazy(
        "pipelines.commands.check",
        "check_command",
        "Exit 1 and list the syncs that breach a threshold; exit 0 when none does; 2 when the warehouse "
        "cannot be read; 10 when a run keeps it open longer than warehouse.busy_timeout_seconds (a run's "
        "writes take seconds; check waits for them).",
    ),
    "deliver": Lazy(
        "pipelines.commands.deliver",
        "deliver_command",
        "Deliver the marts already built in the warehouse to the [deliver] destination.",
    ),
    "demo": Lazy(
        "pipelines.commands.demo",
        "demo",
        "Start the sandbox, load all three vendors, build the models and print the report.",
    ),
    "models": Lazy(
        "pipelines.commands.models",
        "models",
        "(Re)build staging views and mart tables, then run the data tests.",
    ),
    "report": Lazy("pipelines.commands.report", "report", "Sync health, worst first, coloured by health."),
    "run": Lazy(
        "pipelines.commands.run",
        "run",
        "Load sync telemetry from every configured vendor, build the models, publish them for BI tools.",
    ),
    "sandbox": Lazy(
        "pipelines.commands.sandbox",
        "sandbox",
        "Serve AI Squared, Timbal and Paragon as simulated vendors on loopback.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="syncscope")
@click.option("--config-dir", "config_dir_path", type=click.Path(file_okay=False, path_type=Path),
              envvar=config_dir.ENV, default=None,
              help="Folder of config.toml and secrets.toml (env SYNCSCOPE_CONFIG_DIR). "
                   "Default: ./.dlt")  # fmt: skip
def main(config_dir_path: Path | None = None, **_: object) -> None:
    """Sync health across AI Squared, Timbal and Paragon, in one DuckDB warehouse.

    \b
    Examples:
      syncscope demo                              # everything, on simulated vendors
      syncscope sandbox --env-file sandbox.env   # simulated vendors on loopback
      syncscope run --db syncscope.duckdb         # load every configured vendor
      syncscope --config-dir /opt/syncscope/.dlt check   # settings from anywhere
    """
    try:
        config_dir.use(config_dir_path)
    except config_dir.ConfigDirError as exc:
        raise click.UsageError(str(exc)) from None
    logs.setup("text")
    logs.quiet_arrow_merge_warnings()  # dlt's Arrow-hint warning; filtered without importing dlt


if __name__ == "__main__":
    main()
