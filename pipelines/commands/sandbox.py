"""`syncscope sandbox`: serve the three simulated vendors until Ctrl-C or SIGTERM."""

from __future__ import annotations

import shlex
import signal
import threading
from datetime import datetime
from pathlib import Path

import click

from pipelines.commands.options import iso_time_option
from sandbox.clock import EPOCH, iso_ms
from sandbox.config import SIZES, WorldConfig
from sandbox.faults import Faults
from sandbox.service import Sandbox
from sandbox.world import VENDORS


def _start_ms(moment: datetime | None) -> int:
    return 0 if moment is None else int((moment - EPOCH).total_seconds() * 1000)


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """One NAME=value a line, shell-quoted (a JSON list must survive `set -a; . file`), written
    atomically so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{name}={shlex.quote(value)}\n" for name, value in env.items()))
    tmp.replace(path)


@click.command()
@click.option("--seed", default=42, show_default=True, help="World seed: same seed, same world.")
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="default",
    show_default=True,
    help="Preset: small (12 syncs), default (36), large (1,000 syncs, 5 M records).",
)
@click.option("--syncs", type=click.IntRange(1), help="Syncs per vendor (overrides --size).")
@click.option("--days", type=click.IntRange(1), help="Days of history (overrides --size).")
@click.option("--records", type=click.IntRange(0), help="AI Squared record rows (overrides --size).")
@click.option("--anomalies", type=click.IntRange(0), default=0, show_default=True,
              help="AI Squared syncs with one injected anomaly (GET /_sandbox/truth/anomalies).")  # fmt: skip
@click.option(
    "--start", "start", metavar="ISO", callback=iso_time_option, help="World start time (default: now)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added to every request.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=0.0,
    help="Requests per second per vendor before 429 + Retry-After (0: off).",
)
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of 500/502/503.")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of dropped connections.")
@click.option("--truncate-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of truncated bodies.")
@click.option("--plain-numbers", is_flag=True,
              help="No 70-bit integers or decimal strings in AI Squared records "
                   "(for clients that cannot parse them).")  # fmt: skip
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the SOURCES__... variables that point the pipelines here.",
)
def sandbox(
    seed: int, size: str, syncs: int | None, days: int | None, records: int | None, anomalies: int,
    start: datetime | None,
    host: str, latency_ms: float, rate_limit: float, error_rate: float, drop_rate: float,
    truncate_rate: float, plain_numbers: bool, env_file: Path | None,
) -> None:  # fmt: skip
    """Serve AI Squared, Timbal and Paragon as simulated vendors on loopback.

    Prints each vendor's URL and credentials. The world's clock stands still until moved:
    POST /_sandbox/advance {"seconds": 3600} on any vendor's port.

    \b
    Examples:
      syncscope sandbox
      syncscope sandbox --env-file sandbox.env && set -a && . ./sandbox.env
      syncscope sandbox --size large --latency-ms 50
      syncscope sandbox --error-rate 0.05 --rate-limit 20
      syncscope sandbox --anomalies 12   # known unusual runs and days to find
    """
    try:
        config = WorldConfig.sized(size, seed=seed, syncs=syncs, days=days, records=records,
                                   start_ms=_start_ms(start), anomalies=anomalies,
                                   exact_numbers=not plain_numbers)  # fmt: skip
        faults = Faults(latency_ms=latency_ms, rate_limit_per_s=rate_limit, error_rate=error_rate,
                        drop_rate=drop_rate, truncate_rate=truncate_rate, seed=seed)  # fmt: skip
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    box = Sandbox(config, {v: faults for v in VENDORS}, host=host).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        env = box.env()
        click.echo(f"syncscope sandbox: seed {seed}, {config.syncs} syncs per vendor, "
                   f"{config.days} days of history, world time {iso_ms(box.world.now)}")  # fmt: skip
        for vendor in VENDORS:
            click.echo(f"  {vendor:<11} {box.url(vendor)}")
        click.echo("credentials:")
        for name, value in env.items():
            if not name.endswith("BASE_URL"):
                click.echo(f"  {name}={value}")
        if env_file:
            write_env_file(env_file, env)
            click.echo(f"wrote {len(env)} variables to {env_file}")
        click.echo("Ctrl-C to stop.")
        while not stop.wait(0.5):
            pass
    finally:
        box.stop()
        click.echo("sandbox stopped.")
