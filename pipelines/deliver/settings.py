"""`[deliver]` settings and the destination they name, checked before anything is copied.

A scheduler must learn that a credential is missing from one line naming the key, before the run
spends minutes loading; so the destination's whole dlt configuration (credentials included) is
resolved here, the way dlt itself resolves it later (`DESTINATION__POSTGRES__CREDENTIALS`,
`.dlt/secrets.toml` `[destination.postgres.credentials]`), without connecting anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
from dlt.common.destination.exceptions import DestinationException
from dlt.common.destination.reference import Destination
from dlt.common.exceptions import MissingDependencyException

DEFAULT_DATASET = "syncscope"
WHAT = ("marts", "raw")
DATASET_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")  # room for _raw_ai_squared within 63


class DeliverConfigError(Exception):
    """A `[deliver]` setting or a destination credential is missing or wrong; one line naming it."""


@dataclass(frozen=True)
class DeliverSettings:
    destination: str  # a dlt destination name: postgres, snowflake, bigquery, ...
    dataset: str = DEFAULT_DATASET  # the schema (dataset) readers query
    what: tuple[str, ...] = ("marts",)

    @property
    def load_dataset(self) -> str:
        """Where dlt loads first; readers never look there (see pipelines/deliver/swap.py)."""
        return f"{self.dataset}_load"


def read_settings(destination: str | None = None) -> DeliverSettings:
    """`deliver.destination`, `deliver.dataset`, `deliver.what` (env `DELIVER__DESTINATION`, ...).

    `destination` given (a command-line flag) wins over the config. Raises DeliverConfigError.
    """
    name = (destination or dlt.config.get("deliver.destination", str) or "").strip()
    if not name:
        raise DeliverConfigError(
            'deliver.destination is not set: add [deliver] destination = "postgres" to .dlt/config.toml'
        )
    dataset = (dlt.config.get("deliver.dataset", str) or DEFAULT_DATASET).strip()
    if not DATASET_NAME.match(dataset):
        raise DeliverConfigError(
            f"deliver.dataset: {dataset!r} is not a schema name (lower case letters, digits, _)"
        )
    raw_what = dlt.config.get("deliver.what")
    items = raw_what if isinstance(raw_what, list | tuple) else str(raw_what or "marts").split(",")
    what = tuple(dict.fromkeys(w.strip() for w in items if str(w).strip()))
    wrong = [w for w in what if w not in WHAT]
    if wrong or "marts" not in what:
        raise DeliverConfigError(f"deliver.what: {','.join(what)!r}: give marts or marts,raw")
    return DeliverSettings(name, dataset, what)


def destination_for(settings: DeliverSettings) -> Destination:
    """The dlt destination factory the name refers to (its configuration not yet resolved)."""
    try:
        return Destination.from_reference(settings.destination)
    except (DestinationException, ImportError, ValueError):
        raise DeliverConfigError(
            f"deliver.destination: {settings.destination!r} is not a dlt destination "
            "(postgres, snowflake, bigquery, motherduck, databricks, clickhouse, redshift, mssql, duckdb)"
        ) from None


def resolve_configuration(settings: DeliverSettings) -> object:
    """The destination's resolved dlt configuration, credentials included; no connection is made.

    Raises DeliverConfigError naming the first missing key, as the user writes it in secrets.toml.
    """
    destination = destination_for(settings)
    initial = destination.spec()
    initial.dataset_name = settings.dataset
    try:
        return destination.configuration(initial)
    except ConfigFieldMissingException as exc:
        key = _first_missing(exc.traces, ["destination", destination.destination_name])
        raise DeliverConfigError(
            f"{key} is missing for the {settings.destination} delivery "
            f"(env {key.upper().replace('.', '__')} or .dlt/secrets.toml)"
        ) from None
    except ModuleNotFoundError as exc:
        raise DeliverConfigError(_install_hint(settings.destination, exc.name)) from None
    except ConfigurationException as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeliverConfigError(f"destination.{settings.destination}: {first}") from None


def check_driver(settings: DeliverSettings) -> None:
    """The destination's client library is installed (dlt imports it only when connecting)."""
    try:
        _ = destination_for(settings).client_class
    except (MissingDependencyException, ModuleNotFoundError) as exc:
        raise DeliverConfigError(_install_hint(settings.destination, getattr(exc, "name", None))) from None


def _install_hint(destination: str, module: str | None) -> str:
    missing = f" ({module} is missing)" if module else ""
    return f"deliver to {destination} needs its client library{missing}: pip install 'dlt[{destination}]'"


def _first_missing(traces: dict, prefix: list[str]) -> str:
    """The dotted key of the first missing field, descending into nested configs (credentials)."""
    for field, found in traces.items():
        for trace in found:
            nested = getattr(trace, "traces", None)
            if nested:
                return _first_missing(nested, [*prefix, field])
        return ".".join([*prefix, field])
    return ".".join(prefix)
