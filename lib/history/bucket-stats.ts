/**
 * The SQL that turns readings into per-bucket statistics with the columns of a rollup (count, sum,
 * min, max, first, last, delta), shared by the rollups (lib/history/history-maintenance.ts), the
 * consumption's raw tail (lib/energy) and the export's coarse resolutions (lib/export). The delta
 * is reset-aware through octopus_counter_step (db/007_energy.sql): a meter that restarts from zero
 * adds its new value, never a negative step.
 *
 * Fragments take SQL text, not values: callers pass only their own constant expressions and
 * placeholders ($n), never anything a request brought.
 */

/** Booleans as 0/1, numbers as they are; text has no statistics. */
export const NUMERIC_VALUE = 'coalesce(num, case when bool then 1.0 when not bool then 0.0 end)';

export const STAT_COLUMNS = 'device_id, attribute, bucket, count, sum, min, max, first, last, delta';

/**
 * Statistics of raw readings per series and bucket. `bucket` is an expression of `ts`; `where`
 * filters the raw rows (keep it to a time range the BRIN index can use); `bucketWhere` filters
 * the buckets afterwards.
 */
export function rawBucketStats(bucket: string, where: string, bucketWhere = 'true'): string {
  return `
select device_id, attribute, bucket, count(*)::int as count, sum(v) as sum, min(v) as min, max(v) as max,
       (array_agg(v order by ts, seq))[1] as first, (array_agg(v order by ts desc, seq desc))[1] as last,
       sum(step) as delta
  from (select device_id, attribute, bucket, ts, seq, v,
               octopus_counter_step(lag(v) over (partition by device_id, attribute, bucket order by ts, seq), v) as step
          from (select device_id, attribute, ${bucket} as bucket, ts, received_at as seq, ${NUMERIC_VALUE} as v
                  from readings where ${where}) r
         where v is not null and ${bucketWhere}) s
 group by device_id, attribute, bucket`;
}

/**
 * Statistics of coarser buckets from finer rollup rows (`source` is `<table> where …`): the
 * inner deltas summed plus the reset-aware steps between consecutive fine buckets of one coarse
 * bucket. A fine row without a delta (rolled up before deltas existed) leaves the coarse delta unknown.
 */
export function mergedBucketStats(bucket: string, source: string): string {
  return `
select device_id, attribute, bucket, sum(count)::int as count, sum(sum) as sum, min(min) as min, max(max) as max,
       (array_agg(first order by fine))[1] as first, (array_agg(last order by fine desc))[1] as last,
       case when bool_and(delta is not null) then sum(delta + octopus_counter_step(prev_last, first)) end as delta
  from (select device_id, attribute, ${bucket} as bucket, bucket as fine, count, sum, min, max, first, last, delta,
               lag(last) over (partition by device_id, attribute, ${bucket} order by bucket) as prev_last
          from ${source}) f
 group by device_id, attribute, bucket`;
}
