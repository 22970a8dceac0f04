-- Key columns are never null: returns the offending rows' marts.
with nulls as (
    select 'sync_runs' as mart from marts.sync_runs
    where vendor is null or sync_id is null or run_id is null or status is null
    union all
    select 'sync_health' from marts.sync_health where vendor is null or sync_id is null or health is null
    union all
    select 'sync_daily' from marts.sync_daily where vendor is null or sync_id is null or day is null
    union all
    select 'record_errors' from marts.record_errors
    where vendor is null or sync_id is null or error_fingerprint is null
),

final as (
    select * from nulls
)

select * from final
