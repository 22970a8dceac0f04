-- Durations and row counters a vendor sent negative: returns each such run.
-- severity: warn
-- The raw value is kept (staging casts only); marts.sync_runs shows null for it, so no rate or
-- percentile is bent by it. Reported, not gating: the vendor's data, not the models, is wrong,
-- and holding every run's marts back until the vendor mends it would hide everything else.
with ai_squared as (
    select vendor, sync_id, run_id, duration_s, rows_synced, rows_failed
    from staging.stg_ai_squared__sync_runs
),

timbal as (
    select vendor, sync_id, run_id, duration_s, rows_synced, cast(null as bigint) as rows_failed
    from staging.stg_timbal__sync_runs
),

runs as (
    select * from ai_squared
    union all
    select * from timbal
),

final as (
    select vendor, sync_id, run_id, duration_s, rows_synced, rows_failed
    from runs
    where duration_s < 0 or rows_synced < 0 or rows_failed < 0
)

select * from final
