-- Totals and differences of vendor counters that do not fit a BIGINT: returns each, exact.
-- severity: warn
-- The specs' counters are 64-bit (AI Squared rows, Timbal rows_emitted, Paragon record counts)
-- and allow values near 2^63 - 1; a sum or difference of two such values does not fit 64 bits.
-- The marts compute them in 128 bits and show null where the result would not fit a BIGINT,
-- rather than fail every mart on one absurd value; this test names each such null:
--   marts.sync_daily.rows_synced of a sync and UTC day (the day's sum of rows_synced);
--   marts.sync_runs.rows_synced of a Paragon inferred run (growth of syncedRecordsCount);
--   marts.syncs.expected_interval_s of an AI Squared sync (sync_interval x its unit).
-- Reported, not gating: the vendor's numbers, not the models, are wrong.
with daily as (
    select
        vendor,
        sync_id,
        strftime(cast(coalesce(ended_at, started_at, created_at) at time zone 'UTC' as date), '%Y-%m-%d')
            as point,
        sum(cast(rows_synced as hugeint)) as total
    from marts.sync_runs
    group by all
),

paragon_snapshots as (
    select
        vendor,
        sync_id,
        last_synced_at,
        row_number() over by_time as n,
        lag(last_synced_at) over by_time as previous_last_synced_at,
        cast(synced_records_count as hugeint)
        - coalesce(lag(synced_records_count) over by_time, 0) as growth
    from staging.stg_paragon__sync_status_snapshots
    window by_time as (partition by sync_id order by first_seen_at)
),

ai_squared_intervals as (
    select
        'ai_squared' as vendor,
        cast(id as varchar) as sync_id,
        cast(sync_interval as hugeint) * case lower(cast(sync_interval_unit as varchar))
            when 'minutes' then 60
            when 'hours' then 3600
            when 'days' then 86400
            when 'weeks' then 604800
        end as interval_s
    from raw_ai_squared.syncs
),

overflowing as (
    select 'marts.sync_daily.rows_synced' as value_of, vendor, sync_id, point, total as exact
    from daily
    union all
    select
        'marts.sync_runs.rows_synced',
        vendor,
        sync_id,
        'cycle@' || strftime(last_synced_at, '%Y-%m-%dT%H:%M:%S.%gZ'),
        growth
    from paragon_snapshots
    where
        n > 1
        and last_synced_at is not null
        and (previous_last_synced_at is null or last_synced_at > previous_last_synced_at)
    union all
    select 'marts.syncs.expected_interval_s', vendor, sync_id, null, interval_s
    from ai_squared_intervals
),

final as (
    select value_of, vendor, sync_id, point, cast(exact as varchar) as exact
    from overflowing
    where exact not between -9223372036854775808 and 9223372036854775807
)

select * from final
