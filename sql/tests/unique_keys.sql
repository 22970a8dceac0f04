-- Every mart's key identifies one row: returns the duplicated keys.
with keys as (
    select 'sync_runs' as mart, vendor || '/' || sync_id || '/' || run_id as mart_key from marts.sync_runs
    union all
    select 'sync_health', vendor || '/' || sync_id from marts.sync_health
    union all
    select 'syncs', vendor || '/' || sync_id from marts.syncs
    union all
    select 'sync_daily', vendor || '/' || sync_id || '/' || cast(day as varchar) from marts.sync_daily
    union all
    select 'record_errors', vendor || '/' || sync_id || '/' || error_fingerprint from marts.record_errors
),

final as (
    select mart, mart_key, count(*) as copies
    from keys
    group by mart, mart_key
    having count(*) > 1
)

select * from final
