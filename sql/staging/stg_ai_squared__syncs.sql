-- grain: one row per AI Squared sync, as last loaded.
-- key: vendor, sync_id
-- Renames and casts raw_ai_squared.syncs into the shared sync shape; the expected interval is
-- sync_interval x its unit, in seconds (null when that does not fit a BIGINT, reported by
-- sql/tests/aggregates_overflowing_64_bits.sql).
with source as (
    select
        id,
        stream_name,
        status,
        schedule_type,
        sync_interval,
        sync_interval_unit,
        cron_expression,
        source__name,
        destination__name,
        created_at,
        updated_at
    from raw_ai_squared.syncs
),

final as (
    select
        'ai_squared' as vendor,
        cast(id as varchar) as sync_id,
        cast(stream_name as varchar) || ': ' || cast(source__name as varchar)
        || ' → ' || cast(destination__name as varchar) as sync_name,
        cast(status as varchar) as vendor_status,
        lower(cast(status as varchar)) = 'disabled' as is_disabled,
        cast(schedule_type as varchar) as schedule_type,
        cast(cron_expression as varchar) as cron_expression,
        try_cast(cast(sync_interval as hugeint) * case lower(cast(sync_interval_unit as varchar))
            when 'minutes' then 60
            when 'hours' then 3600
            when 'days' then 86400
            when 'weeks' then 604800
        end as bigint) as expected_interval_s,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
    from source
)

select * from final
