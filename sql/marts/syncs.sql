-- grain: one row per sync, every vendor.
-- key: vendor, sync_id
-- The sync dimension: a sync is listed here even when it has never run, and no longer once the
-- vendor deleted it (Timbal: its scd2 version closed; AI Squared: a full listing stopped showing
-- it). A deleted sync's runs stay in marts.sync_runs as history.
with ai_squared_listed as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_ai_squared__syncs
),

ai_squared_deleted as (
    select vendor, sync_id
    from staging.stg_ai_squared__deleted_syncs
),

timbal as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_timbal__syncs
),

paragon as (
    select vendor, sync_id, sync_name, vendor_status, is_disabled, expected_interval_s, created_at
    from staging.stg_paragon__syncs
),

ai_squared as (
    select l.*
    from ai_squared_listed as l
    where not exists (
        select 1 from ai_squared_deleted as d where d.vendor = l.vendor and d.sync_id = l.sync_id
    )
),

final as (
    select * from ai_squared
    union all
    select * from timbal
    union all
    select * from paragon
)

select * from final
