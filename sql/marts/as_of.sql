-- grain: one row.
-- key: one row
-- The reference time of every window and age in the marts: the newest successful load of any
-- vendor (dlt's _dlt_loads, status 0), unless `--as-of` overrides it to replay history.
with params as (
    select as_of_override, degraded_below from meta.params
),

loads as (
    select inserted_at, status from raw_ai_squared._dlt_loads
    union all
    select inserted_at, status from raw_timbal._dlt_loads
    union all
    select inserted_at, status from raw_paragon._dlt_loads
),

newest_load as (
    select max(cast(inserted_at as timestamptz)) as loaded_at
    from loads
    where cast(status as integer) = 0
),

final as (
    select
        coalesce(params.as_of_override, newest_load.loaded_at) as as_of,
        params.as_of_override is not null as is_overridden,
        params.degraded_below
    from params
    cross join newest_load
)

select * from final
