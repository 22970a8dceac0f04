-- grain: one row per anomalous point: vendor, sync, run or UTC day, metric.
-- key: vendor, sync_id, metric, point
-- A point is unusual for *this* sync when it lies far from the sync's own recent history.
-- Points (only runs ended at or before as_of count):
--   rows_synced, duration_s, rows_per_s: one per succeeded run with a value > 0, at its ended_at
--     (a run that found nothing to move is no volume point: change-only syncs move nothing on
--     most runs, and a zero would make every batch a spike);
--   runs_per_day: ended runs per UTC day of ended_at, 0 on a day without any, for the days
--     strictly between the sync's first and last day with a run (both are partial: history or
--     the schedule starts or stops in them, so a disabled or stale sync is no "drop");
--   failed_record_share: per UTC day before as_of's (a day is judged once complete),
--     rows_failed / (rows_synced + rows_failed) over succeeded runs with both counters known,
--     where that sum is > 0.
-- Baseline of a point: the same sync's points of the same metric in the 28 UTC days before the
--   point's day (a run's baseline is the runs of those days; so it is strictly before the point,
--   the point itself and its own day excluded: a run is never judged against a broken day it
--   belongs to). Daily metrics use only the same weekday's points when every weekday has >= 4
--   points in the window (weekday seasonality). No verdict with fewer than 7 points in the
--   window (the seasonal baseline then has its >= 4). Per-run baselines come from per-day sums
--   (count, sum, sum of squares) over a RANGE frame of days: one pass over the runs, no
--   per-run window, so the mart stays cheap on a million runs.
-- Scale: per-run metrics are multiplicative (a 10x drop must weigh like a 10x spike), so their
--   z-score is taken on ln(value): typical = exp(mean ln), spread shown as a factor ×/÷;
--   daily metrics on the values themselves.
-- z = (x - mean) / greatest(stddev, floor): floor 0.05 on the log scale (5%), else
--   greatest(5% of |mean|, an absolute floor: 0.2 runs, 0.005 share). Flagged when
--   |z| >= sensitivity (meta.params.anomaly_sensitivity, default 3, or the sync's override in
--   meta.anomaly_sensitivity) and the change from typical is >= 20% of typical and >= a minimum
--   per metric (10 rows, 5 s, 1 row/s, 1 run, 0.01 share): flat or tiny series do not flood.
-- direction: spike (above typical) or drop. open_anomalies in sync_health counts points whose
--   point_at (run: ended_at; day: the day's end) lies in (as_of - 24 h, as_of].
with params as (
    select a.as_of, p.anomaly_sensitivity
    from marts.as_of as a
    cross join meta.params as p
),

-- Every run ended by as_of, read once: its UTC day, counters for the daily metrics and, for a
-- succeeded run, ln of each per-run metric that has a point (> 0). Run ids and exact values are
-- fetched back (by rowid) only for the few candidate runs, so a million runs cost one scan.
runs as materialized (
    select
        r.rowid as run_row,
        r.vendor,
        r.sync_id,
        cast(r.ended_at at time zone 'UTC' as date) as day,
        case when r.status = 'succeeded' and r.rows_synced > 0 then ln(r.rows_synced) end as x_rows,
        case when r.status = 'succeeded' and r.duration_s > 0 then ln(r.duration_s) end as x_duration,
        case when r.status = 'succeeded' and r.rows_per_s > 0 then ln(r.rows_per_s) end as x_rate,
        -- 128-bit: two counters near the 64-bit maximum must not overflow (nor their daily sums)
        case
            when r.status = 'succeeded' and cast(r.rows_synced as hugeint) + r.rows_failed >= 0 then r.rows_failed
        end as failed,
        case when r.status = 'succeeded' then cast(r.rows_synced as hugeint) + r.rows_failed end as moved
    from marts.sync_runs as r
    cross join params as p
    where r.ended_at <= p.as_of
),

run_points as (
    select * from runs
    where x_rows is not null or x_duration is not null or x_rate is not null
),

-- Sums are taken of x - c, c the series' smallest x: a constant series sums to exactly 0, and
-- sum-of-squares variance stays exact to ~1e-15 on values near each other.
centres as (
    select vendor, sync_id, min(x_rows) as c_rows, min(x_duration) as c_duration, min(x_rate) as c_rate
    from run_points
    group by vendor, sync_id
),

-- Per sync and UTC day: the sums of the per-run metrics and the daily metrics' counts.
run_day_sums as (
    select
        r.vendor, r.sync_id, r.day,
        count(*) as runs, sum(r.failed) as failed, sum(r.moved) as moved,
        count(r.x_rows) as n_rows, sum(r.x_rows - c.c_rows) as s_rows, sum((r.x_rows - c.c_rows) ^ 2) as q_rows,
        count(r.x_duration) as n_duration, sum(r.x_duration - c.c_duration) as s_duration,
        sum((r.x_duration - c.c_duration) ^ 2) as q_duration,
        count(r.x_rate) as n_rate, sum(r.x_rate - c.c_rate) as s_rate, sum((r.x_rate - c.c_rate) ^ 2) as q_rate
    from runs as r
    left join centres as c on r.vendor = c.vendor and r.sync_id = c.sync_id
    group by r.vendor, r.sync_id, r.day
),

run_day_windows as (
    select
        vendor, sync_id, day,
        sum(n_rows) over w as n_rows, sum(s_rows) over w as s_rows, sum(q_rows) over w as q_rows,
        sum(n_duration) over w as n_duration, sum(s_duration) over w as s_duration,
        sum(q_duration) over w as q_duration,
        sum(n_rate) over w as n_rate, sum(s_rate) over w as s_rate, sum(q_rate) over w as q_rate
    from run_day_sums
    where n_rows + n_duration + n_rate > 0
    window w as (
        partition by vendor, sync_id order by day - date '1970-01-01'
        range between 28 preceding and 1 preceding
    )
),

-- Baseline of every (sync, day) for each per-run metric: mean and stddev of ln(value).
run_stats as (
    select
        w.vendor, w.sync_id, w.day,
        coalesce(o.sensitivity, p.anomaly_sensitivity) as sensitivity,
        w.n_rows, c.c_rows + w.s_rows / w.n_rows as mean_rows,
        sqrt(greatest(w.q_rows - w.s_rows * w.s_rows / w.n_rows, 0) / nullif(w.n_rows - 1, 0)) as sd_rows,
        w.n_duration, c.c_duration + w.s_duration / w.n_duration as mean_duration,
        sqrt(greatest(w.q_duration - w.s_duration * w.s_duration / w.n_duration, 0) / nullif(w.n_duration - 1, 0))
            as sd_duration,
        w.n_rate, c.c_rate + w.s_rate / w.n_rate as mean_rate,
        sqrt(greatest(w.q_rate - w.s_rate * w.s_rate / w.n_rate, 0) / nullif(w.n_rate - 1, 0)) as sd_rate
    from run_day_windows as w
    inner join centres as c on w.vendor = c.vendor and w.sync_id = c.sync_id
    cross join params as p
    left join meta.anomaly_sensitivity as o on w.vendor = o.vendor and w.sync_id = o.sync_id
    where w.n_rows >= 7 or w.n_duration >= 7 or w.n_rate >= 7
),

-- Runs with a metric whose |z| reaches the sensitivity (the floor of 0.05 as in `scored`); the
-- other conditions are checked on the exact values below.
run_candidates as (
    select
        p.run_row, p.vendor, p.sync_id,
        unnest([
            {'metric': 'rows_synced', 'x': p.x_rows, 'mean': s.mean_rows, 'sd': s.sd_rows, 'n': s.n_rows},
            {'metric': 'duration_s', 'x': p.x_duration, 'mean': s.mean_duration, 'sd': s.sd_duration,
                'n': s.n_duration},
            {'metric': 'rows_per_s', 'x': p.x_rate, 'mean': s.mean_rate, 'sd': s.sd_rate, 'n': s.n_rate}
        ]) as m
    from run_points as p
    inner join run_stats as s on p.vendor = s.vendor and p.sync_id = s.sync_id and p.day = s.day
    where
        (s.n_rows >= 7 and abs(p.x_rows - s.mean_rows) >= s.sensitivity * greatest(coalesce(s.sd_rows, 0), 0.05))
        or (
            s.n_duration >= 7
            and abs(p.x_duration - s.mean_duration) >= s.sensitivity * greatest(coalesce(s.sd_duration, 0), 0.05)
        )
        or (s.n_rate >= 7 and abs(p.x_rate - s.mean_rate) >= s.sensitivity * greatest(coalesce(s.sd_rate, 0), 0.05))
),

run_baselines as (
    select
        c.vendor, c.sync_id, c.m.metric, r.run_id as point, r.run_id, r.ended_at as point_at,
        case c.m.metric
            when 'rows_synced' then cast(r.rows_synced as double)
            when 'duration_s' then r.duration_s
            else r.rows_per_s
        end as value,
        'log' as scale, false as seasonal, c.m.mean as baseline_mean, c.m.sd as baseline_stddev,
        c.m.n as baseline_n, c.m.n as window_n
    from run_candidates as c
    inner join marts.sync_runs as r on c.run_row = r.rowid
    where c.m.x is not null and c.m.n >= 7
),

run_days as (
    select vendor, sync_id, day, runs, failed, moved from run_day_sums
),

spans as (
    select vendor, sync_id, min(day) as first_day, max(day) as last_day
    from run_days
    group by vendor, sync_id
),

calendar as (
    select vendor, sync_id, cast(unnest(range(first_day + 1, last_day, interval 1 day)) as date) as day
    from spans
    where last_day - first_day >= 2
),

day_values as (
    select c.vendor, c.sync_id, 'runs_per_day' as metric, c.day, cast(coalesce(d.runs, 0) as double) as value
    from calendar as c
    left join run_days as d on c.vendor = d.vendor and c.sync_id = d.sync_id and c.day = d.day
    union all
    select d.vendor, d.sync_id, 'failed_record_share', d.day, cast(d.failed as double) / d.moved
    from run_days as d
    cross join params as p
    where d.moved > 0 and d.day < cast(p.as_of at time zone 'UTC' as date)
),

day_windows as (
    select
        *,
        avg(value) over w_all as all_mean,
        stddev_samp(value) over w_all as all_stddev,
        count(*) over w_all as all_n,
        least(
            count(*) filter (where isodow(day) = 1) over w_all,
            count(*) filter (where isodow(day) = 2) over w_all,
            count(*) filter (where isodow(day) = 3) over w_all,
            count(*) filter (where isodow(day) = 4) over w_all,
            count(*) filter (where isodow(day) = 5) over w_all,
            count(*) filter (where isodow(day) = 6) over w_all,
            count(*) filter (where isodow(day) = 7) over w_all
        ) as fewest_per_weekday,
        avg(value) over w_dow as dow_mean,
        stddev_samp(value) over w_dow as dow_stddev,
        count(*) over w_dow as dow_n
    from day_values
    window
        w_all as (
            partition by vendor, sync_id, metric order by day - date '1970-01-01'
            range between 28 preceding and 1 preceding
        ),
        w_dow as (
            partition by vendor, sync_id, metric, isodow(day) order by day - date '1970-01-01'
            range between 28 preceding and 1 preceding
        )
),

day_baselines as (
    select
        vendor, sync_id, metric, strftime(day, '%Y-%m-%d') as point, cast(null as varchar) as run_id,
        cast(day + interval 1 day as timestamptz) as point_at, value, 'linear' as scale,
        fewest_per_weekday >= 4 as seasonal,
        case when fewest_per_weekday >= 4 then dow_mean else all_mean end as baseline_mean,
        case when fewest_per_weekday >= 4 then dow_stddev else all_stddev end as baseline_stddev,
        case when fewest_per_weekday >= 4 then dow_n else all_n end as baseline_n,
        all_n as window_n
    from day_windows
),

baselines as (
    select * from run_baselines
    union all
    select * from day_baselines
),

limits as (
    select * from (values
        ('rows_synced', 'rows synced', 0.0, 10.0, 'runs'),
        ('duration_s', 'duration (s)', 0.0, 5.0, 'runs'),
        ('rows_per_s', 'rows/s', 0.0, 1.0, 'runs'),
        ('runs_per_day', 'runs per day', 0.2, 1.0, 'days'),
        ('failed_record_share', 'failed-record share', 0.005, 0.01, 'days')
    ) as t(metric, label, stddev_floor, min_change, unit)
),

scored as (
    select
        b.*,
        l.label,
        l.min_change,
        l.unit,
        coalesce(o.sensitivity, p.anomaly_sensitivity) as sensitivity,
        case when b.scale = 'log' then exp(b.baseline_mean) else b.baseline_mean end as typical,
        case when b.scale = 'log' then ln(b.value) else b.value end as x,
        greatest(
            coalesce(b.baseline_stddev, 0),
            case when b.scale = 'log' then 0.05 else greatest(0.05 * abs(b.baseline_mean), l.stddev_floor) end
        ) as stddev_used
    from baselines as b
    inner join limits as l on b.metric = l.metric
    cross join params as p
    left join meta.anomaly_sensitivity as o on b.vendor = o.vendor and b.sync_id = o.sync_id
    where b.window_n >= 7 and b.baseline_n >= 2
),

flagged as (
    select
        *,
        (x - baseline_mean) / stddev_used as z_score,
        case when abs(value) >= 100 then format('{:,.0f}', value) else format('{:.3g}', value) end as value_text,
        case when abs(typical) >= 100 then format('{:,.0f}', typical) else format('{:.3g}', typical) end
            as typical_text,
        case
            when scale = 'log' then '×/÷ ' || format('{:.2f}', exp(stddev_used))
            else '± ' || format('{:.3g}', stddev_used)
        end as spread_text
    from scored
),

final as (
    select
        vendor,
        sync_id,
        metric,
        point,
        run_id,
        point_at,
        value,
        scale,
        seasonal,
        baseline_mean,
        baseline_stddev,
        cast(baseline_n as bigint) as baseline_n,
        typical,
        z_score,
        case when z_score > 0 then 'spike' else 'drop' end as direction,
        sensitivity,
        label || ' ' || value_text || ' vs usual ' || typical_text || ' ' || spread_text || ' over '
        || baseline_n || case when seasonal then ' same-weekday ' else ' ' end || unit
        || ' (z ' || format('{:+.1f}', z_score) || ')' as explanation
    from flagged
    where
        abs(z_score) >= sensitivity
        and abs(value - typical) >= 0.2 * abs(typical)
        and abs(value - typical) >= min_change
)

select * from final
