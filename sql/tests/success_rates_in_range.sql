-- Success rates lie in [0, 1] (or are null): returns rows outside.
with rates as (
    select 'sync_health.success_rate_7d' as metric, success_rate_7d as rate from marts.sync_health
    union all
    select 'sync_health.success_rate_30d', success_rate_30d from marts.sync_health
    union all
    select 'sync_daily.success_rate', success_rate from marts.sync_daily
),

final as (
    select * from rates where rate < 0 or rate > 1
)

select * from final
