-- grain: one row per sync, every vendor.
-- The sync dimension: a sync is listed here even when it has never run.
with ai_squared as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_ai_squared__syncs
),

timbal as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_timbal__syncs
),

paragon as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_paragon__syncs
),

final as (
    select * from ai_squared
    union all
    select * from timbal
    union all
    select * from paragon
)

select * from final
