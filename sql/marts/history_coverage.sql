-- grain: one row per Timbal sync.
-- key: vendor, sync_id
-- Timbal shows only a sync's most recent runs; its stats count every run. runs_missed =
-- runs_reported (stats.runs_total at the latest poll) - runs_loaded: runs that fell out of the
-- recent window between two polls and are lost to the warehouse. Poll more often if it grows.
with latest_snapshot as (
    select sync_id, polled_at, runs_total
    from (
        select
            sync_id,
            polled_at,
            runs_total,
            row_number() over (partition by sync_id order by polled_at desc) as n
        from staging.stg_timbal__sync_snapshots
    ) as ranked
    where n = 1
),

loaded as (
    select sync_id, count(*) as runs_loaded
    from staging.stg_timbal__sync_runs
    group by sync_id
),

final as (
    select
        'timbal' as vendor,
        s.sync_id,
        s.polled_at as last_polled_at,
        s.runs_total as runs_reported,
        coalesce(l.runs_loaded, 0) as runs_loaded,
        -- 128-bit difference: a runs_total near the 64-bit minimum must not overflow; >= 0 and
        -- <= runs_total, so it fits a BIGINT again
        cast(greatest(cast(s.runs_total as hugeint) - coalesce(l.runs_loaded, 0), 0) as bigint) as runs_missed
    from latest_snapshot as s
    left join loaded as l on s.sync_id = l.sync_id
)

select * from final
