"""Airflow DAG: `syncscope run` every 15 minutes, credentials from Airflow Connections.

Why a BashOperator calling the CLI: syncscope pins its own dlt, DuckDB and pyarrow, which would
fight Airflow's constraints if installed into Airflow's environment; a separate venv on the
worker avoids that, and the CLI's exit codes tell Airflow what happened.

Connections (Admin > Connections, or AIRFLOW_CONN_* / a secrets backend), one per vendor you use:
  syncscope_ai_squared  password = API token,
                        extra = {"base_url": "https://api.squared.ai", "workspace_id": "7"}
  syncscope_timbal      password = API key,
                        extra = {"base_url": "https://api.timbal.ai", "org_id": "org_..."}
  syncscope_paragon     password = JSON list of user tokens '["t1","t2"]',
                        extra = {"base_url": "https://sync.useparagon.com"}
  syncscope_slack       password = Slack incoming webhook URL       (for `--alert`)
  syncscope_pagerduty   password = PagerDuty Events API v2 routing key (for `--alert`)
Connection passwords are masked by Airflow in logs and rendered templates. Remove the `env`
entries of a vendor or alert destination you do not use (a missing Connection fails the
template, not the vendor). `--alert` notifies the destinations configured of syncs entering or
leaving a breach (README "Alerts"); exit 11 (a destination failed) fails the task, and the retry
sends only what was missed.

The warehouse is a local DuckDB file: run this task where that disk is (LocalExecutor, or a
Celery queue / Kubernetes volume served by one worker: set `queue=` below accordingly).
"""

from __future__ import annotations

from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.6+
    from airflow import DAG
    from airflow.operators.bash import BashOperator

SYNCSCOPE_HOME = "/opt/syncscope"  # the checkout with .venv and .dlt/config.toml
DB = "/var/lib/syncscope/syncscope.duckdb"
EXIT_LOCKED = 5  # another run still holds the warehouse: skip this one, do not fail

with DAG(
    dag_id="syncscope",
    description="Load AI Squared, Timbal and Paragon sync telemetry; build and publish the marts",
    schedule=timedelta(minutes=15),
    start_date=datetime(2026, 1, 1),
    catchup=False,  # each run loads everything new; replaying missed intervals adds nothing
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2)},
    tags=["syncscope"],
) as dag:
    BashOperator(
        task_id="syncscope_run",
        bash_command=(
            f"{SYNCSCOPE_HOME}/.venv/bin/syncscope run --db {DB} --timeout 2400 --alert --log-format json"
        ),
        cwd=SYNCSCOPE_HOME,
        env={
            "SOURCES__AI_SQUARED__BASE_URL": "{{ conn.syncscope_ai_squared.extra_dejson.base_url }}",
            "SOURCES__AI_SQUARED__API_TOKEN": "{{ conn.syncscope_ai_squared.password }}",
            "SOURCES__AI_SQUARED__WORKSPACE_ID": "{{ conn.syncscope_ai_squared.extra_dejson.workspace_id }}",
            "SOURCES__TIMBAL__BASE_URL": "{{ conn.syncscope_timbal.extra_dejson.base_url }}",
            "SOURCES__TIMBAL__API_KEY": "{{ conn.syncscope_timbal.password }}",
            "SOURCES__TIMBAL__ORG_ID": "{{ conn.syncscope_timbal.extra_dejson.org_id }}",
            "SOURCES__PARAGON__BASE_URL": "{{ conn.syncscope_paragon.extra_dejson.base_url }}",
            "SOURCES__PARAGON__USER_TOKENS": "{{ conn.syncscope_paragon.password }}",
            "ALERTS__SLACK__WEBHOOK_URL": "{{ conn.syncscope_slack.password }}",
            "ALERTS__PAGERDUTY__ROUTING_KEY": "{{ conn.syncscope_pagerduty.password }}",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        },
        append_env=True,  # keep PATH, HOME and the worker's own variables
        skip_on_exit_code=EXIT_LOCKED,
        execution_timeout=timedelta(minutes=45),
    )
