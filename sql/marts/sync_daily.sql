-- grain: one row per sync per UTC day with runs.
-- key: vendor, sync_id, day
-- A run belongs to the UTC day it ended on (marts.sync_runs.ended_at; not ended: the day it
-- started or was queued). success_rate = succeeded / (succeeded + failed) that day, null when 0;
-- duration_p50_s over that day's ended runs with a known duration.
-- rows_synced: the day's sum, exact (summed in 128 bits); null when it does not fit a BIGINT (a
-- vendor counter near the 64-bit maximum, e.g. two runs of 2^63 - 1 rows): one absurd value
-- must not fail the mart. sql/tests/aggregates_overflowing_64_bits.sql reports each such day.
with runs as (
    select
        vendor,
        sync_id,
        status,
        ended_at,
        duration_s,
        rows_synced,
        cast(coalesce(ended_at, started_at, created_at) at time zone 'UTC' as date) as day
    from marts.sync_runs
),

final as (
    select
        vendor,
        sync_id,
        day,
        count(*) as runs,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed,
        cast(count(*) filter (where status = 'succeeded') as double)
        / nullif(count(*) filter (where status in ('succeeded', 'failed')), 0) as success_rate,
        try_cast(coalesce(sum(cast(rows_synced as hugeint)), 0) as bigint) as rows_synced,
        percentile_cont(0.5) within group (order by duration_s) filter (
            where ended_at is not null
        ) as duration_p50_s
    from runs
    group by vendor, sync_id, day
)

select * from final
