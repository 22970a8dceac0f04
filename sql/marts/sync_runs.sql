-- grain: one row per run, every vendor (Paragon runs inferred from status snapshots).
-- duration_s = finished_at - started_at in seconds (the vendor's own duration where it gives
-- one); rows_per_s = rows_synced / duration_s where duration_s > 0, else null.
with ai_squared as (
    select
        vendor,
        sync_id,
        run_id,
        status,
        vendor_status,
        created_at,
        started_at,
        finished_at,
        duration_s,
        rows_synced,
        rows_failed,
        error_message,
        false as is_inferred
    from staging.stg_ai_squared__sync_runs
),

unioned as (
    select * from ai_squared
),

final as (
    select
        vendor,
        sync_id,
        run_id,
        status,
        vendor_status,
        created_at,
        started_at,
        finished_at,
        duration_s,
        rows_synced,
        rows_failed,
        case when duration_s > 0 then rows_synced / duration_s end as rows_per_s,
        error_message,
        is_inferred
    from unioned
)

select * from final
