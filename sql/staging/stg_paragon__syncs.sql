-- grain: one row per Paragon sync (latest known state), every connected user.
-- key: vendor, sync_id
with source as (
    select
        id,
        user_id,
        integration,
        pipeline,
        frequency,
        frequency_seconds,
        status,
        first_seen_at
    from raw_paragon.syncs
),

final as (
    select
        'paragon' as vendor,
        cast(id as varchar) as sync_id,
        cast(integration as varchar) || ' ' || cast(pipeline as varchar)
        || ' (' || cast(user_id as varchar) || ')' as sync_name,
        cast(user_id as varchar) as user_id,
        upper(cast(status as varchar)) as vendor_status,
        upper(cast(status as varchar)) = 'DISABLED' as is_disabled,
        cast(frequency as varchar) as frequency,
        cast(frequency_seconds as bigint) as expected_interval_s,
        cast(first_seen_at as timestamptz) as created_at
    from source
)

select * from final
