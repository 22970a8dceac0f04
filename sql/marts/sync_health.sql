-- grain: one row per sync, every vendor.
-- key: vendor, sync_id
-- How healthy each sync is at as_of (marts.as_of). Definitions (the tests hold us to them):
--   a run's end is its ended_at (marts.sync_runs: finished_at, or for a terminal run the vendor
--     never stamped, e.g. an AI Squared failure, the time it was last updated);
--   windows: runs whose ended_at lies in (as_of - N days, as_of];
--   runs_7d: ended runs in the 7-day window, any outcome;
--   success_rate_Nd = succeeded / (succeeded + failed) in the window, null when that is 0
--     (cancelled and unfinished runs count in neither);
--   duration_p50_s / p95_s, rows_per_s_p50: continuous percentiles over runs ended in the
--     30-day window, where defined (duration_s known; rows_per_s only where duration_s > 0);
--   last_success_at: ended_at of the newest succeeded run; seconds_since_success = as_of - it;
--   staleness_s: seconds_since_success, or, never succeeded, the sync's age;
--   is_stale: not disabled and staleness_s > 2 x expected_interval_s;
--   consecutive_failures: failed runs ended after the last succeeded run;
--   current_status: the newest run's status as it stood at as_of (null: never ran; not yet
--     ended at as_of: running, or queued); a run's time is started_at, else created_at, else
--     ended_at (Paragon's inferred runs);
--   open_anomalies: marts.sync_anomalies rows whose point_at lies in (as_of - 24 h, as_of];
--   health, first that holds: disabled, failing (consecutive_failures > 0, i.e. the last
--     succeeded-or-failed run failed), stale, degraded (success_rate_7d < degraded_below),
--     else healthy.
with as_of as (
    select as_of, degraded_below from marts.as_of
),

syncs as (
    select vendor, sync_id, sync_name, is_disabled, expected_interval_s, created_at
    from marts.syncs
),

runs as (
    select
        r.vendor,
        r.sync_id,
        r.status,
        coalesce(r.started_at, r.created_at, r.ended_at) as began_at,
        case when r.ended_at <= a.as_of then r.ended_at end as ended_at,
        r.duration_s,
        r.rows_per_s,
        a.as_of
    from marts.sync_runs as r
    cross join as_of as a
    where coalesce(r.started_at, r.created_at, r.ended_at) <= a.as_of
),

newest_run as (
    select
        vendor,
        sync_id,
        began_at as last_run_at,
        case when ended_at is null and status <> 'queued' then 'running' else status end as current_status
    from (
        select
            *,
            row_number() over (partition by vendor, sync_id order by began_at desc nulls last) as n
        from runs
    ) as ranked
    where n = 1
),

ended as (
    select * from runs where ended_at is not null
),

last_success as (
    select vendor, sync_id, max(ended_at) as last_success_at
    from ended
    where status = 'succeeded'
    group by vendor, sync_id
),

streaks as (
    select f.vendor, f.sync_id, count(*) as consecutive_failures
    from ended as f
    left join last_success as s on f.vendor = s.vendor and f.sync_id = s.sync_id
    where f.status = 'failed' and (s.last_success_at is null or f.ended_at > s.last_success_at)
    group by f.vendor, f.sync_id
),

window_7d as (
    select
        vendor,
        sync_id,
        count(*) as runs_7d,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed
    from ended
    where ended_at > as_of - interval '7' day
    group by vendor, sync_id
),

window_30d as (
    select
        vendor,
        sync_id,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed,
        percentile_cont(0.5) within group (order by duration_s) as duration_p50_s,
        percentile_cont(0.95) within group (order by duration_s) as duration_p95_s,
        percentile_cont(0.5) within group (order by rows_per_s) as rows_per_s_p50
    from ended
    where ended_at > as_of - interval '30' day
    group by vendor, sync_id
),

anomalies_24h as (
    select an.vendor, an.sync_id, count(*) as open_anomalies
    from marts.sync_anomalies as an
    cross join as_of as a
    where an.point_at > a.as_of - interval '24' hour and an.point_at <= a.as_of
    group by an.vendor, an.sync_id
),

joined as (
    select
        a.as_of,
        s.vendor,
        s.sync_id,
        s.sync_name,
        n.current_status,
        n.last_run_at,
        ls.last_success_at,
        -- The epoch of the difference, not the difference of two epochs: epochs near 1.8e9 s
        -- as doubles keep only ~0.2 µs, so 58.716 s came out as 58.71600008.
        extract(epoch from (a.as_of - ls.last_success_at)) as seconds_since_success,
        extract(epoch from (a.as_of - coalesce(ls.last_success_at, s.created_at))) as staleness_s,
        s.expected_interval_s,
        s.is_disabled,
        coalesce(w7.runs_7d, 0) as runs_7d,
        cast(w7.succeeded as double) / nullif(w7.succeeded + w7.failed, 0) as success_rate_7d,
        cast(w30.succeeded as double) / nullif(w30.succeeded + w30.failed, 0) as success_rate_30d,
        w30.duration_p50_s,
        w30.duration_p95_s,
        w30.rows_per_s_p50,
        coalesce(st.consecutive_failures, 0) as consecutive_failures,
        coalesce(an.open_anomalies, 0) as open_anomalies,
        a.degraded_below
    from syncs as s
    cross join as_of as a
    left join newest_run as n on s.vendor = n.vendor and s.sync_id = n.sync_id
    left join last_success as ls on s.vendor = ls.vendor and s.sync_id = ls.sync_id
    left join streaks as st on s.vendor = st.vendor and s.sync_id = st.sync_id
    left join window_7d as w7 on s.vendor = w7.vendor and s.sync_id = w7.sync_id
    left join window_30d as w30 on s.vendor = w30.vendor and s.sync_id = w30.sync_id
    left join anomalies_24h as an on s.vendor = an.vendor and s.sync_id = an.sync_id
),

flagged as (
    select
        *,
        coalesce(not is_disabled and staleness_s > 2 * cast(expected_interval_s as double), false) as is_stale
    from joined
),

final as (
    select
        as_of,
        vendor,
        sync_id,
        sync_name,
        current_status,
        last_run_at,
        last_success_at,
        seconds_since_success,
        staleness_s,
        expected_interval_s,
        is_stale,
        runs_7d,
        success_rate_7d,
        success_rate_30d,
        duration_p50_s,
        duration_p95_s,
        rows_per_s_p50,
        consecutive_failures,
        open_anomalies,
        case
            when is_disabled then 'disabled'
            when consecutive_failures > 0 then 'failing'
            when is_stale then 'stale'
            when success_rate_7d < degraded_below then 'degraded'
            else 'healthy'
        end as health
    from flagged
)

select * from final
