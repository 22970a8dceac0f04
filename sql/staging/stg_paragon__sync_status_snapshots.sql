-- grain: one row per Paragon sync per observed state change (change-only snapshots).
-- key: vendor, sync_id, first_seen_at
with source as (
    select
        sync_id,
        first_seen_at,
        polled_at,
        status,
        total_records,
        synced_records_count,
        last_synced_at,
        latest_cursor,
        reason,
        rate_limit_backoff_ms
    from raw_paragon.sync_status_snapshots
),

final as (
    select
        'paragon' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(first_seen_at as timestamptz) as first_seen_at,
        cast(polled_at as timestamptz) as polled_at,
        upper(cast(status as varchar)) as status,
        cast(total_records as bigint) as total_records,
        cast(synced_records_count as bigint) as synced_records_count,
        cast(last_synced_at as timestamptz) as last_synced_at,
        cast(latest_cursor as varchar) as latest_cursor,
        cast(reason as varchar) as reason,
        cast(rate_limit_backoff_ms as bigint) as rate_limit_backoff_ms
    from source
)

select * from final
