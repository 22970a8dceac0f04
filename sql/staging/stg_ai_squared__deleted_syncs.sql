-- grain: one row per AI Squared sync a full listing stopped showing (deleted at the vendor).
-- key: vendor, sync_id
-- deleted_seen_at is the load that first missed it: the deletion happened at or before it.
with source as (
    select
        id,
        deleted_seen_at
    from raw_ai_squared.deleted_syncs
),

final as (
    select
        'ai_squared' as vendor,
        cast(id as varchar) as sync_id,
        cast(deleted_seen_at as timestamptz) as deleted_seen_at
    from source
)

select * from final
