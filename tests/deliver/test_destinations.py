"""Every documented destination's configuration reaches dlt as written, checked without any network.

Only DuckDB and PostgreSQL are exercised for real in this repository; for Snowflake, BigQuery,
MotherDuck, Databricks, ClickHouse, Redshift and MS SQL these tests resolve the configuration the
way dlt resolves it when it connects, and check that a missing credential is named up front.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.deliver import _pipelines
from pipelines.deliver.settings import (
    DeliverConfigError,
    DeliverSettings,
    read_settings,
    resolve_configuration,
)
from pipelines.exit_codes import EXIT_DELIVER
from tests.deliver.test_postgres import OWN_PREFIXES

ROOT = Path(__file__).resolve().parents[2]

# destination -> (credential fields as secrets.toml / env vars give them, other settings, checks)
CASES: dict[str, dict[str, str]] = {
    "snowflake": {
        "CREDENTIALS__DATABASE": "analytics",
        "CREDENTIALS__USERNAME": "loader",
        "CREDENTIALS__PASSWORD": "pw-snow",
        "CREDENTIALS__HOST": "kgiotue-wn98412",
        "CREDENTIALS__WAREHOUSE": "COMPUTE_WH",
        "CREDENTIALS__ROLE": "DLT_LOADER_ROLE",
    },
    "bigquery": {
        "CREDENTIALS__PROJECT_ID": "acme-analytics",
        "CREDENTIALS__PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n",
        "CREDENTIALS__CLIENT_EMAIL": "loader@acme-analytics.iam.gserviceaccount.com",
        "LOCATION": "EU",
    },
    "motherduck": {"CREDENTIALS__DATABASE": "analytics", "CREDENTIALS__PASSWORD": "md-token"},
    "databricks": {
        "CREDENTIALS__SERVER_HOSTNAME": "dbc-1a2b3c.cloud.databricks.com",
        "CREDENTIALS__HTTP_PATH": "/sql/1.0/warehouses/abc",
        "CREDENTIALS__ACCESS_TOKEN": "dapi-token",
        "CREDENTIALS__CATALOG": "main",
    },
    "clickhouse": {
        "CREDENTIALS__HOST": "ch.example.com",
        "CREDENTIALS__PORT": "9440",
        "CREDENTIALS__DATABASE": "analytics",
        "CREDENTIALS__USERNAME": "loader",
        "CREDENTIALS__PASSWORD": "pw-ch",
        "CREDENTIALS__SECURE": "1",
    },
    "redshift": {
        "CREDENTIALS__DATABASE": "analytics",
        "CREDENTIALS__USERNAME": "loader",
        "CREDENTIALS__PASSWORD": "pw-rs",
        "CREDENTIALS__HOST": "acme.abc123.eu-west-1.redshift.amazonaws.com",
        "CREDENTIALS__PORT": "5439",
    },
    "mssql": {
        "CREDENTIALS__DATABASE": "analytics",
        "CREDENTIALS__USERNAME": "loader",
        "CREDENTIALS__PASSWORD": "pw-ms",
        "CREDENTIALS__HOST": "sql.example.com",
        "CREDENTIALS__DRIVER": "ODBC Driver 18 for SQL Server",
    },
    "postgres": {
        "CREDENTIALS__DATABASE": "analytics",
        "CREDENTIALS__USERNAME": "loader",
        "CREDENTIALS__PASSWORD": "pw-pg",
        "CREDENTIALS__HOST": "db.example.com",
    },
}
# The key whose absence each destination must name (its first required credential field).
FIRST_REQUIRED = {
    "snowflake": "database",
    "bigquery": "project_id",
    "motherduck": "password",
    "databricks": "catalog",
    "clickhouse": "host",
    "redshift": "database",
    "mssql": "database",
    "postgres": "database",
}


def set_destination(monkeypatch: pytest.MonkeyPatch, name: str, values: dict[str, str]) -> None:
    for key, value in values.items():
        monkeypatch.setenv(f"DESTINATION__{name.upper()}__{key}", value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_destination_resolves_its_credentials_and_settings_as_given(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    set_destination(monkeypatch, name, CASES[name])
    monkeypatch.setenv("DELIVER__DESTINATION", name)
    monkeypatch.setenv("DELIVER__DATASET", "telemetry")
    settings = read_settings()
    assert settings == DeliverSettings(name, "telemetry", ("marts",))
    config = resolve_configuration(settings)
    assert (config.destination_type, config.dataset_name) == (name, "telemetry")
    for key, value in CASES[name].items():
        section, field = key.lower().split("__") if "__" in key else ("", key.lower())
        owner = config.credentials if section == "credentials" else config
        expected = int(value) if field in ("port", "secure") else value
        assert getattr(owner, field) == expected, field
    live, staged = _pipelines(settings, tmp_path / "pipelines")
    assert (live.destination.destination_name, live.dataset_name) == (name, "telemetry")
    assert (staged.destination.destination_name, staged.dataset_name) == (name, "telemetry_load")


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_missing_credential_is_named_before_anything_connects(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = FIRST_REQUIRED[name]
    values = {k: v for k, v in CASES[name].items() if k != f"CREDENTIALS__{missing.upper()}"}
    set_destination(monkeypatch, name, values)
    with pytest.raises(DeliverConfigError) as raised:
        resolve_configuration(DeliverSettings(name))
    key = f"destination.{name}.credentials.{missing}"
    env_key = key.upper().replace(".", "__")
    assert (
        str(raised.value) == f"{key} is missing for the {name} delivery (env {env_key} or .dlt/secrets.toml)"
    )
    assert all(secret not in str(raised.value) for secret in values.values())


def test_settings_and_credentials_from_the_toml_files_reach_dlt(tmp_path: Path) -> None:
    """`syncscope deliver` in a project folder: the files' host and port are the ones dlt dials."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[deliver]\ndestination = "postgres"\ndataset = "telemetry"\n'
    )
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[destination.postgres.credentials]\ndatabase = "analytics"\nusername = "loader"\n'
        'password = "from-toml-secret"\nhost = "127.0.0.1"\nport = 1\nconnect_timeout = 5\n'
    )
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "deliver", "--db", "w.duckdb"],
        cwd=tmp_path, env={**environment, "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (EXIT_DELIVER, "")
    assert result.stderr.splitlines() == [
        'deliver: failed: postgres (dataset telemetry): connection to server at "127.0.0.1", port 1 failed: '
        "Connection refused; the next run delivers again"
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, 'deliver.destination is not set: add [deliver] destination = "postgres" to .dlt/config.toml'),
        (
            {"DELIVER__DESTINATION": "oracle"},
            "deliver.destination: 'oracle' is not a dlt destination (postgres, snowflake, bigquery, "
            "motherduck, databricks, clickhouse, redshift, mssql, duckdb)",
        ),
        (
            {"DELIVER__DESTINATION": "postgres", "DELIVER__DATASET": "My-Dataset"},
            "deliver.dataset: 'My-Dataset' is not a schema name (lower case letters, digits, _)",
        ),
        (
            {"DELIVER__DESTINATION": "postgres", "DELIVER__WHAT": "raw"},
            "deliver.what: 'raw': give marts or marts,raw",
        ),
    ],
)
def test_wrong_deliver_settings_are_one_line_naming_the_key(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(DeliverConfigError) as raised:
        resolve_configuration(read_settings())
    assert str(raised.value) == message


def test_the_readme_type_mapping_is_what_dlt_creates() -> None:
    """README 'Type mapping' against dlt's own type mappers, destination by destination."""
    from dlt.common.destination.reference import Destination

    section = (ROOT / "README.md").read_text().split("### Type mapping", 1)[1].split("\n\n")
    block = next(part for part in section if part.startswith("|"))
    table = [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]
    header, rows = table[0], table[2:]
    dlt_types = {
        "VARCHAR": {"data_type": "text"},
        "BIGINT": {"data_type": "bigint"},
        "DOUBLE": {"data_type": "double"},
        "BOOLEAN": {"data_type": "bool"},
        "DATE": {"data_type": "date"},
        "TIMESTAMP WITH TIME ZONE": {"data_type": "timestamp", "timezone": True},
    }
    columns = {
        "PostgreSQL": "postgres", "Redshift": "redshift", "Snowflake": "snowflake", "BigQuery": "bigquery",
        "Databricks": "databricks", "ClickHouse": "clickhouse", "MS SQL": "mssql",
        "DuckDB / MotherDuck": "motherduck",
    }  # fmt: skip
    assert [r[0] for r in rows] == list(dlt_types)
    for position, title in enumerate(header[1:], start=1):
        mapper = Destination.from_reference(columns[title]).capabilities().get_type_mapper()
        for row in rows:
            column = {"name": "c", "nullable": True, **dlt_types[row[0]]}
            assert mapper.to_destination_type(column, {"name": "t"}) == row[position], (title, row[0])
