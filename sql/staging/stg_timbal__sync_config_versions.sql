-- grain: one row per Timbal sync configuration version (scd2: valid_from .. valid_to, open = null).
-- key: vendor, sync_id, valid_from
-- Every configuration field the source hashes into a version (sources/timbal/tables.py
-- CONFIG_FIELDS) except id and created_at, which never change. valid_from is the poll that first
-- saw the version.
with source as (
    select
        id,
        connector_id,
        name,
        source_kind,
        connection_ref,
        source_schema,
        source_table,
        cursor_column,
        kb_uid,
        dest_table,
        interval_secs,
        enabled,
        _dlt_valid_from,
        _dlt_valid_to
    from raw_timbal.syncs
),

final as (
    select
        'timbal' as vendor,
        cast(id as varchar) as sync_id,
        cast(connector_id as varchar) as connector_id,
        cast(name as varchar) as sync_name,
        cast(source_kind as varchar) as source_kind,
        cast(connection_ref as varchar) as connection_ref,
        cast(source_schema as varchar) as source_schema,
        cast(source_table as varchar) as source_table,
        cast(cursor_column as varchar) as cursor_column,
        cast(kb_uid as varchar) as kb_uid,
        cast(dest_table as varchar) as dest_table,
        cast(enabled as boolean) as is_enabled,
        cast(interval_secs as bigint) as interval_s,
        cast(_dlt_valid_from as timestamptz) as valid_from,
        cast(_dlt_valid_to as timestamptz) as valid_to
    from source
)

select * from final
