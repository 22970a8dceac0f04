-- grain: one row per Timbal sync per poll that saw a change (stats rollup and freshness).
-- key: vendor, sync_id, polled_at
with source as (
    select
        sync_id,
        polled_at,
        runs_total,
        runs_completed,
        runs_failed,
        rows_total,
        last_run_at,
        last_state,
        last_success_at,
        seconds_since_success
    from raw_timbal.sync_snapshots
),

final as (
    select
        'timbal' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(polled_at as timestamptz) as polled_at,
        cast(runs_total as bigint) as runs_total,
        cast(runs_completed as bigint) as runs_completed,
        cast(runs_failed as bigint) as runs_failed,
        cast(rows_total as bigint) as rows_total,
        cast(last_run_at as timestamptz) as last_run_at,
        cast(last_state as varchar) as last_state,
        cast(last_success_at as timestamptz) as last_success_at,
        cast(seconds_since_success as bigint) as seconds_since_success
    from source
)

select * from final
