-- grain: one row per Timbal sync: its current configuration version (scd2 row still open).
-- key: vendor, sync_id
with source as (
    select
        id,
        connector_id,
        name,
        source_kind,
        source_schema,
        source_table,
        dest_table,
        interval_secs,
        enabled,
        created_at,
        _dlt_valid_to
    from raw_timbal.syncs
),

final as (
    select
        'timbal' as vendor,
        cast(id as varchar) as sync_id,
        coalesce(
            cast(name as varchar),
            cast(source_schema as varchar) || '.' || cast(source_table as varchar)
            || ' → ' || cast(dest_table as varchar)
        ) as sync_name,
        cast(connector_id as varchar) as connector_id,
        cast(source_kind as varchar) as source_kind,
        case when cast(enabled as boolean) then 'enabled' else 'disabled' end as vendor_status,
        not cast(enabled as boolean) as is_disabled,
        cast(interval_secs as bigint) as expected_interval_s,
        cast(created_at as timestamptz) as created_at
    from source
    where _dlt_valid_to is null
)

select * from final
