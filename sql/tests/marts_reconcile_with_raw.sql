-- The marts hold what the raw tables hold, per vendor: returns every count that differs.
-- Counts that no metric definition enters (a run's end time, its day, its health), each taken
-- from the raw tables dlt loaded, not from staging:
--   runs: AI Squared raw runs (distinct id), Timbal raw jobs (distinct job_id) = the vendor's
--     rows in marts.sync_runs not inferred (Paragon's runs are inferred: they have no raw count);
--   syncs: AI Squared raw syncs not in deleted_syncs, Timbal open scd2 versions, Paragon raw
--     syncs = the vendor's rows in marts.syncs; marts.sync_health has as many rows per vendor;
--   failed records: raw failed records (distinct run and record) = the sum of
--     marts.record_errors.failed_records (a record without a message counts too);
--   days: the sum of marts.sync_daily.runs = the marts.sync_runs rows that have a time at all.
with ai_squared_runs as (
    select 'ai_squared' as vendor, count(distinct cast(id as varchar)) as n
    from raw_ai_squared.sync_runs
),

timbal_runs as (
    select 'timbal' as vendor, count(distinct cast(job_id as varchar)) as n
    from raw_timbal.sync_runs
),

ai_squared_deleted as (
    select cast(id as varchar) as sync_id
    from raw_ai_squared.deleted_syncs
),

ai_squared_syncs as (
    select 'ai_squared' as vendor, count(distinct cast(id as varchar)) as n
    from raw_ai_squared.syncs
    where cast(id as varchar) not in (select sync_id from ai_squared_deleted)
),

timbal_syncs as (
    select 'timbal' as vendor, count(distinct cast(id as varchar)) as n
    from raw_timbal.syncs
    where _dlt_valid_to is null
),

paragon_syncs as (
    select 'paragon' as vendor, count(distinct cast(id as varchar)) as n
    from raw_paragon.syncs
),

failed_record_keys as (
    select distinct cast(sync_run_id as varchar) as run_id, cast(id as varchar) as record_id
    from raw_ai_squared.sync_records
    where lower(cast(status as varchar)) = 'failed'
),

failed_records as (
    select 'ai_squared' as vendor, count(*) as n from failed_record_keys
),

mart_runs as (
    select vendor, count(*) as n from marts.sync_runs where not is_inferred group by vendor
),

mart_timed_runs as (
    select vendor, count(*) as n
    from marts.sync_runs
    where coalesce(ended_at, started_at, created_at) is not null
    group by vendor
),

mart_syncs as (
    select vendor, count(*) as n from marts.syncs group by vendor
),

mart_health as (
    select vendor, count(*) as n from marts.sync_health group by vendor
),

mart_errors as (
    select vendor, sum(failed_records) as n from marts.record_errors group by vendor
),

mart_days as (
    select vendor, sum(runs) as n from marts.sync_daily group by vendor
),

raw_runs as (
    select * from ai_squared_runs
    union all
    select * from timbal_runs
),

raw_syncs as (
    select * from ai_squared_syncs
    union all
    select * from timbal_syncs
    union all
    select * from paragon_syncs
),

-- every count (vendor, n), named
counts as (
    select 'raw runs' as counted, * from raw_runs
    union all
    select 'marts.sync_runs rows', * from mart_runs
    union all
    select 'raw syncs', * from raw_syncs
    union all
    select 'marts.syncs rows', * from mart_syncs
    union all
    select 'marts.sync_health rows', * from mart_health
    union all
    select 'raw failed records', * from failed_records
    union all
    select 'marts.record_errors failed_records', * from mart_errors
    union all
    select 'marts.sync_runs rows with a time', * from mart_timed_runs
    union all
    select 'marts.sync_daily runs', * from mart_days
),

reconciliations as (
    select * from (
        values
            ('marts.sync_runs rows', 'raw runs'),
            ('marts.syncs rows', 'raw syncs'),
            ('marts.sync_health rows', 'marts.syncs rows'),
            ('marts.record_errors failed_records', 'raw failed records'),
            ('marts.sync_daily runs', 'marts.sync_runs rows with a time')
    ) as t (found, expected)
),

compared as (
    select
        r.found || ' = ' || r.expected as reconciliation,
        c.vendor,
        max(case when c.counted = r.expected then c.n end) as expected,
        max(case when c.counted = r.found then c.n end) as found
    from reconciliations as r
    inner join counts as c on c.counted in (r.found, r.expected)
    group by r.found, r.expected, c.vendor
),

final as (
    select reconciliation, vendor, coalesce(expected, 0) as expected, coalesce(found, 0) as found
    from compared
    where coalesce(expected, 0) <> coalesce(found, 0)
)

select * from final
