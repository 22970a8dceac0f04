-- grain: one row per Timbal sync configuration version (scd2: valid_from .. valid_to, open = null).
-- key: vendor, sync_id, valid_from
with source as (
    select
        id,
        name,
        enabled,
        interval_secs,
        cursor_column,
        dest_table,
        _dlt_valid_from,
        _dlt_valid_to
    from raw_timbal.syncs
),

final as (
    select
        'timbal' as vendor,
        cast(id as varchar) as sync_id,
        cast(name as varchar) as sync_name,
        cast(enabled as boolean) as is_enabled,
        cast(interval_secs as bigint) as interval_s,
        cast(cursor_column as varchar) as cursor_column,
        cast(dest_table as varchar) as dest_table,
        cast(_dlt_valid_from as timestamptz) as valid_from,
        cast(_dlt_valid_to as timestamptz) as valid_to
    from source
)

select * from final
