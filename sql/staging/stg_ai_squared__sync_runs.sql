-- grain: one row per AI Squared sync run.
-- key: vendor, run_id
-- Status normalised: pending/queued -> queued; started/querying/in_progress/paused -> running;
-- success -> succeeded; failed -> failed; canceled -> cancelled. An unknown value is kept in
-- vendor_status and counts as running while unfinished, failed once finished (never dropped).
with source as (
    select
        id,
        sync_id,
        status,
        sync_run_type,
        created_at,
        started_at,
        finished_at,
        duration,
        total_query_rows,
        skipped_rows,
        total_rows,
        successful_rows,
        failed_rows,
        error,
        updated_at
    from raw_ai_squared.sync_runs
),

final as (
    select
        'ai_squared' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(id as varchar) as run_id,
        case lower(cast(status as varchar))
            when 'pending' then 'queued'
            when 'queued' then 'queued'
            when 'started' then 'running'
            when 'querying' then 'running'
            when 'in_progress' then 'running'
            when 'paused' then 'running'
            when 'success' then 'succeeded'
            when 'failed' then 'failed'
            when 'canceled' then 'cancelled'
            else case when finished_at is null then 'running' else 'failed' end
        end as status,
        cast(status as varchar) as vendor_status,
        cast(sync_run_type as varchar) as run_type,
        cast(created_at as timestamptz) as created_at,
        cast(started_at as timestamptz) as started_at,
        cast(finished_at as timestamptz) as finished_at,
        cast(duration as double) as duration_s,
        cast(total_query_rows as bigint) as rows_read,
        cast(skipped_rows as bigint) as rows_skipped,
        cast(total_rows as bigint) as rows_total,
        cast(successful_rows as bigint) as rows_synced,
        cast(failed_rows as bigint) as rows_failed,
        cast(error as varchar) as error_message,
        cast(updated_at as timestamptz) as updated_at
    from source
)

select * from final
