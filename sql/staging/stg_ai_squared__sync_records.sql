-- grain: one row per AI Squared record per run (a run keeps the records it had when loaded).
-- key: vendor, run_id, record_id
-- error_message: the server sends no `error` attribute, only `logs`, the destination's answer
-- (VENDORS.md, verified; shapes in the README's "Sync record logs"). First that is there:
--   1. `error` (the spec's attribute, should a server send it);
--   2. logs.error_message (the connector raised);
--   3. the message(s) in logs.response, JSON text: its `message` (an object) or every
--      element's `message` joined with '; ' (an array, Salesforce style);
--   4. for a log of level 'error': the response text itself, else logs.request (a batch's reason).
with source as (
    select
        id,
        sync_id,
        sync_run_id,
        status,
        action,
        error,
        record,
        logs,
        created_at,
        updated_at
    from raw_ai_squared.sync_records
),

parsed as (
    select
        *,
        cast(logs as json) as logs_json,
        try_cast(cast(logs as json) ->> 'response' as json) as response_json
    from source
),

final as (
    select
        'ai_squared' as vendor,
        cast(sync_id as varchar) as sync_id,
        cast(sync_run_id as varchar) as run_id,
        cast(id as varchar) as record_id,
        lower(cast(status as varchar)) as status,
        cast(action as varchar) as action,
        coalesce(
            cast(error as varchar),
            logs_json ->> 'error_message',
            case json_type(response_json)
                when 'OBJECT' then response_json ->> 'message'
                when 'ARRAY' then nullif(
                    array_to_string(json_extract_string(response_json, '$[*].message'), '; '), ''
                )
            end,
            case
                when logs_json ->> 'level' = 'error'
                    then coalesce(logs_json ->> 'response', logs_json ->> 'request')
            end
        ) as error_message,
        cast(record as json) as record,
        logs_json as logs,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at
    from parsed
)

select * from final
