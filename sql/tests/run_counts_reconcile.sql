-- Run counts agree between staging, marts.sync_runs and marts.sync_daily: returns mismatches.
with staged as (
    select vendor, count(*) as runs from staging.stg_ai_squared__sync_runs group by vendor
    union all
    select vendor, count(*) from staging.stg_timbal__sync_runs group by vendor
),

fact as (
    select vendor, count(*) filter (where not is_inferred) as runs, count(*) as all_runs
    from marts.sync_runs
    group by vendor
),

daily as (
    select vendor, sum(runs) as runs from marts.sync_daily group by vendor
),

final as (
    select coalesce(s.vendor, f.vendor, d.vendor) as vendor, s.runs as staged, f.runs as fact, d.runs as daily
    from staged as s
    full outer join fact as f on s.vendor = f.vendor
    full outer join daily as d on coalesce(s.vendor, f.vendor) = d.vendor
    where (s.vendor is not null and s.runs is distinct from f.runs) or f.all_runs is distinct from d.runs
)

select * from final
