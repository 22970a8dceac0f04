-- grain: one row per vendor, sync and error fingerprint.
-- key: vendor, sync_id, error_fingerprint
-- Failed records grouped by what went wrong: the fingerprint masks what varies between
-- occurrences of the same error, in this order: UUIDs -> <uuid>, emails -> <email>, quoted
-- values ('...', "...", «...») -> <value>, hex/number runs of 8+ characters -> <id>, numbers
-- -> <n>, whitespace runs -> one space. first/last_seen_at are the failing writes' times.
-- example_error is the group's newest message: that of the record written last (updated_at); of
-- records written at the same instant, the message that sorts last, so a rebuild shows the same.
-- Every failed record counts: one whose vendor gave no message (staging's error_message rule
-- found none) is grouped under the fingerprint '(no error message)', example_error null.
with failed_records as (
    select vendor, sync_id, error_message, updated_at
    from staging.stg_ai_squared__sync_records
    where status = 'failed'
),

fingerprinted as (
    select
        vendor,
        sync_id,
        error_message,
        updated_at,
        case when error_message is null then '(no error message)' else trim(regexp_replace(
            regexp_replace(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(
                            regexp_replace(
                                regexp_replace(
                                    regexp_replace(
                                        error_message,
                                        '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
                                        '<uuid>', 'g'
                                    ),
                                    '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '<email>', 'g'
                                ),
                                '''[^'']*''', '''<value>''', 'g'
                            ),
                            '"[^"]*"', '"<value>"', 'g'
                        ),
                        '«[^»]*»', '«<value>»', 'g'
                    ),
                    '\b[0-9a-fA-F]{8,}\b', '<id>', 'g'
                ),
                '[0-9]+(\.[0-9]+)?', '<n>', 'g'
            ),
            '\s+', ' ', 'g'
        )) end as error_fingerprint
    from failed_records
),

final as (
    select
        vendor,
        sync_id,
        error_fingerprint,
        first(error_message order by updated_at desc, error_message desc) as example_error,
        count(*) as failed_records,
        min(updated_at) as first_seen_at,
        max(updated_at) as last_seen_at
    from fingerprinted
    group by vendor, sync_id, error_fingerprint
)

select * from final
