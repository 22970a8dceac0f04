-- grain: one row per sync per configuration field that changed between two consecutive versions.
-- key: vendor, sync_id, changed_at, field
-- What changed in a sync's configuration and when: the first question when a sync starts failing.
-- Each version of a sync after its first is compared with the one before, field by field, in the
-- vendor's own field names (name, enabled, interval_secs, cursor_column, dest_table, source_kind,
-- connection_ref, source_schema, source_table, kb_uid, connector_id); old_value and new_value are
-- text (enabled 'true'/'false', interval_secs in seconds; null when the field was unset).
-- changed_at is the poll that first saw the new version: the change happened at or before it and
-- after the previous poll, and several changes between two polls show as one. A sync's first
-- version is no change, and its deletion is not listed here (it leaves marts.syncs).
-- Only Timbal is covered: its syncs table keeps every configuration version (scd2). AI Squared's
-- and Paragon's raw syncs keep only the latest state (merge, no history), and Paragon's status
-- snapshots hold no configuration (status, record counts, cursor, reason, back-off), so neither
-- can say what changed or when.
with versions as (
    -- every field as text, as old_value / new_value show it
    select
        vendor,
        sync_id,
        valid_from,
        sync_name as "name",
        cast(is_enabled as varchar) as enabled,
        cast(interval_s as varchar) as interval_secs,
        cursor_column,
        dest_table,
        source_kind,
        connection_ref,
        source_schema,
        source_table,
        kb_uid,
        connector_id
    from staging.stg_timbal__sync_config_versions
),

-- one row per version and field (DuckDB's unpivot: eleven union-all branches otherwise)
field_values as (
    select vendor, sync_id, valid_from, field, value
    from versions
    unpivot include nulls (
        value for field in (
            "name", enabled, interval_secs, cursor_column, dest_table, source_kind, connection_ref,
            source_schema, source_table, kb_uid, connector_id
        )
    )
),

compared as (
    select
        vendor,
        sync_id,
        field,
        valid_from as changed_at,
        lag(value) over by_version as old_value,
        value as new_value,
        row_number() over by_version as version
    from field_values
    window by_version as (partition by vendor, sync_id, field order by valid_from)
),

final as (
    select vendor, sync_id, changed_at, field, old_value, new_value
    from compared
    where version > 1 and old_value is distinct from new_value
)

select * from final
