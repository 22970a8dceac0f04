-- grain: one row per Timbal run (job), as last seen in a sync's recent_runs.
-- key: vendor, run_id
-- State normalised case-insensitively: queued -> queued; running -> running; completed ->
-- succeeded; failed -> failed; cancelled/canceled -> cancelled. Any other value (e.g. timed_out)
-- is kept in vendor_status and counts as running while unfinished, failed once finished.
with source as (
    select
        job_id,
        sync_id,
        state,
        created_at,
        started_at,
        finished_at,
        duration_ms,
        rows_emitted,
        rows_per_sec,
        message
    from raw_timbal.sync_runs
),

final as (
    select
        'timbal' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(job_id as varchar) as run_id,
        case lower(cast(state as varchar))
            when 'queued' then 'queued'
            when 'running' then 'running'
            when 'completed' then 'succeeded'
            when 'failed' then 'failed'
            when 'cancelled' then 'cancelled'
            when 'canceled' then 'cancelled'
            else case when finished_at is null then 'running' else 'failed' end
        end as status,
        cast(state as varchar) as vendor_status,
        cast(created_at as timestamptz) as created_at,
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at,
        cast(duration_ms as double) / 1000 as duration_s,
        cast(rows_emitted as bigint) as rows_synced,
        cast(rows_per_sec as double) as vendor_rows_per_s,
        cast(message as varchar) as message
    from source
)

select * from final
