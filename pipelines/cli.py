"""`syncscope`: the command line an operator meets."""

from __future__ import annotations

from pathlib import Path

import click

from pipelines import config_dir, dlt_setup, logs
from pipelines.commands.alert import alert_command
from pipelines.commands.check import check_command
from pipelines.commands.deliver import deliver_command
from pipelines.commands.demo import demo
from pipelines.commands.models import models
from pipelines.commands.report import report
from pipelines.commands.run import run
from pipelines.commands.sandbox import sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    dlt_setup.quiet_arrow_hints()


main.add_command(alert_command)
main.add_command(check_command)
main.add_command(deliver_command)
main.add_command(demo)
main.add_command(models)
main.add_command(report)
main.add_command(run)
main.add_command(sandbox)

if __name__ == "__main__":
    main()
