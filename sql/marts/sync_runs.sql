-- grain: one row per run, every vendor (Paragon runs inferred from status snapshots).
-- key: vendor, sync_id, run_id
-- duration_s = finished_at - started_at in seconds (AI Squared `duration`, Timbal
-- `duration_ms` / 1000); rows_per_s = rows_synced / duration_s where duration_s > 0, else null.
-- ended_at: finished_at; for a run in a terminal status (succeeded, failed, cancelled) whose
-- vendor left finished_at null, the time it was last updated. AI Squared writes finished_at,
-- duration and the row counters only when a run succeeds: a failed or canceled run keeps them
-- null/0 and its updated_at is when it ended. Its duration_s stays null; its 0 counters are the
-- vendor's (rows_synced 0 says nothing about what it wrote).
-- A negative duration or counter from a vendor is kept raw and null here
-- (sql/tests/vendor_values_in_range.sql reports it).
-- Paragon has no run history, so runs are inferred from its change-only snapshots:
--   * each advance of lastSyncedAt between two snapshots is one succeeded run, finished_at =
--     the new lastSyncedAt, rows_synced = the growth of syncedRecordsCount;
--     (null when the growth does not fit a BIGINT: counts near the 64-bit limits, reported by
--     sql/tests/aggregates_overflowing_64_bits.sql);
--   * a sync's first snapshot with a lastSyncedAt is one succeeded run too (the cycle behind it
--     was not watched, so rows_synced is null): without it a sync would have no last success
--     until its second cycle;
--   * each move into ERRORED (a first snapshot already ERRORED included) is one failed run,
--     finished_at = when it was first seen errored, error_message = reason.
--   Paragon exposes no cycle start: started_at, duration_s and rows_per_s stay null.
with ai_squared as (
    select
        vendor, sync_id, run_id, status, vendor_status, created_at, started_at, finished_at,
        coalesce(
            finished_at, case when status in ('succeeded', 'failed', 'cancelled') then updated_at end
        ) as ended_at,
        duration_s, rows_synced, rows_failed, error_message, false as is_inferred
    from staging.stg_ai_squared__sync_runs
),

timbal as (
    select
        vendor, sync_id, run_id, status, vendor_status, created_at, started_at, finished_at,
        finished_at as ended_at, duration_s, rows_synced, cast(null as bigint) as rows_failed,
        message as error_message, false as is_inferred
    from staging.stg_timbal__sync_runs
),

paragon_snapshots as (
    select
        vendor,
        sync_id,
        first_seen_at,
        status,
        synced_records_count,
        last_synced_at,
        reason,
        row_number() over by_time as n,
        lag(status) over by_time as previous_status,
        lag(last_synced_at) over by_time as previous_last_synced_at,
        lag(synced_records_count) over by_time as previous_synced_records_count
    from staging.stg_paragon__sync_status_snapshots
    window by_time as (partition by sync_id order by first_seen_at)
),

paragon_cycles as (
    select
        vendor, sync_id, status as vendor_status, 'cycle' as event, 'succeeded' as status,
        last_synced_at as ended_at,
        case
            when n > 1
                then try_cast(
                    cast(synced_records_count as hugeint) - coalesce(previous_synced_records_count, 0) as bigint
                )
        end as rows_synced,
        cast(null as varchar) as error_message
    from paragon_snapshots
    where
        last_synced_at is not null
        and (previous_last_synced_at is null or last_synced_at > previous_last_synced_at)
),

paragon_errors as (
    select
        vendor, sync_id, status as vendor_status, 'error' as event, 'failed' as status,
        first_seen_at as ended_at, cast(null as bigint) as rows_synced, reason as error_message
    from paragon_snapshots
    where status = 'ERRORED' and previous_status is distinct from 'ERRORED'
),

paragon_events as (
    select * from paragon_cycles
    union all
    select * from paragon_errors
),

-- both kinds of inferred run in the one shape of a run: named and timed by the event that
-- shows it, nothing known of its start
paragon as (
    select
        vendor,
        sync_id,
        event || '@' || strftime(ended_at, '%Y-%m-%dT%H:%M:%S.%gZ') as run_id,
        status,
        vendor_status,
        cast(null as timestamptz) as created_at,
        cast(null as timestamptz) as started_at,
        ended_at as finished_at,
        ended_at,
        cast(null as double) as duration_s,
        rows_synced,
        cast(null as bigint) as rows_failed,
        error_message,
        true as is_inferred
    from paragon_events
),

unioned as (
    select * from ai_squared
    union all
    select * from timbal
    union all
    select * from paragon
),

final as (
    select
        vendor,
        sync_id,
        run_id,
        status,
        vendor_status,
        created_at,
        started_at,
        finished_at,
        ended_at,
        case when duration_s >= 0 then duration_s end as duration_s,
        case when rows_synced >= 0 then rows_synced end as rows_synced,
        case when rows_failed >= 0 then rows_failed end as rows_failed,
        case when duration_s > 0 and rows_synced >= 0 then rows_synced / duration_s end as rows_per_s,
        error_message,
        is_inferred
    from unioned
)

select * from final
