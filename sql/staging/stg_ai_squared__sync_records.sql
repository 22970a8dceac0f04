-- grain: one row per AI Squared record per run (a run keeps the records it had when loaded).
-- key: vendor, run_id, record_id
with source as (
    select
        id,
        sync_id,
        sync_run_id,
        status,
        action,
        error,
        record,
        logs,
        created_at,
        updated_at
    from raw_ai_squared.sync_records
),

final as (
    select
        'ai_squared' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(sync_run_id as varchar) as run_id,
        cast(id as varchar) as record_id,
        lower(cast(status as varchar)) as status,
        cast(action as varchar) as action,
        cast(error as varchar) as error_message,
        cast(record as json) as record,
        cast(logs as json) as logs,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
    from source
)

select * from final
