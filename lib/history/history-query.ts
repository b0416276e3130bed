import type { Pool } from 'pg';
import { HOUR_MS, bucketStart, chooseBucket, sourceFor, type HistorySource } from './buckets';

export interface HistoryQuery {
  deviceId: string;
  attribute: string;
  from: number;
  to: number;
  /** At most this many points come back (one per bucket). */
  maxPoints: number;
  /** The clock, for where the rollups end and the raw tail begins. */
  now: number;
}

export interface HistoryPoint {
  ts: string;
  min: number;
  mean: number;
  max: number;
  count: number;
}

export interface HistoryResult {
  bucketMs: number;
  source: HistorySource;
  points: HistoryPoint[];
}

// Booleans chart as 0/1, so a bucket's mean is the share of time-samples that were true.
const VALUE = 'coalesce(num, case when bool then 1.0 when not bool then 0.0 end)';

// The rollups are at most this far behind; beyond it the chart reads the (slightly stale) rollups
// rather than an unbounded raw tail, which a long backlog of late readings could otherwise cause.
const MAX_RAW_TAIL_MS = 6 * HOUR_MS;

/**
 * A bucketed history of one numeric or boolean attribute in [from, to): min, mean and max per
 * bucket, never more than `maxPoints` buckets, computed in SQL. Long ranges read the 5-minute or
 * hourly rollups; what the rollups do not cover yet (the last minutes, late readings) comes from
 * the raw readings with the same buckets, and the two are merged per bucket.
 */
export async function queryHistory(pool: Pool, q: HistoryQuery): Promise<HistoryResult> {
  const bucketMs = chooseBucket(q.from, q.to, q.maxPoints);
  const source = sourceFor(bucketMs);
  const params = [q.deviceId, q.attribute, q.from, q.to, bucketMs];
  if (source === 'raw') {
    const res = await pool.query<PointRow>(`${RAW_BUCKETS('$3', '$4')} order by bucket`, params);
    return { bucketMs, source, points: res.rows.map(toPoint) };
  }
  const horizon = await rollupHorizon(pool, q, bucketMs);
  const table = source === '5m' ? 'readings_5m' : 'readings_1h';
  const sql = `
    with parts as (
      select date_bin(make_interval(secs => $5::float8 / 1000), bucket, timestamptz 'epoch') as bucket, count, sum, min, max
        from ${table}
       where device_id = $1 and attribute = $2
         and bucket >= to_timestamp($3::float8 / 1000) and bucket < to_timestamp(least($4::float8, $6::float8) / 1000)
      union all
      ${RAW_BUCKETS('greatest($3::float8, $6::float8)', '$4')}
    )
    select bucket, sum(count)::int as count, sum(sum) as sum, min(min) as min, max(max) as max
      from parts group by bucket order by bucket`;
  const res = await pool.query<PointRow>(sql, [...params, horizon]);
  return { bucketMs, source, points: res.rows.map(toPoint) };
}

interface PointRow {
  bucket: Date;
  count: number;
  sum: number;
  min: number;
  max: number;
}

function toPoint(r: PointRow): HistoryPoint {
  const count = Number(r.count);
  return { ts: r.bucket.toISOString(), min: r.min, mean: r.sum / count, max: r.max, count };
}

/** Raw readings of series ($1, $2) in [from, to) as buckets of $5 ms, with the columns of a rollup. */
function RAW_BUCKETS(from: string, to: string): string {
  return `
    select date_bin(make_interval(secs => $5::float8 / 1000), ts, timestamptz 'epoch') as bucket,
           count(*)::int as count, sum(v) as sum, min(v) as min, max(v) as max
      from (select ts, ${VALUE} as v from readings
             where device_id = $1 and attribute = $2
               and ts >= to_timestamp(${from}::float8 / 1000) and ts < to_timestamp(${to}::float8 / 1000)) r
     where v is not null
     group by 1`;
}

/**
 * Where the rollups stop being complete: the oldest 5-minute bucket still waiting to be rolled
 * up (or now), at most MAX_RAW_TAIL_MS back, aligned down to the chart's bucket so no bucket is
 * half from each side.
 */
async function rollupHorizon(pool: Pool, q: HistoryQuery, bucketMs: number): Promise<number> {
  const res = await pool.query<{ oldest: Date | null }>('select min(bucket) as oldest from rollup_pending');
  const oldest = res.rows[0]?.oldest?.getTime() ?? q.now;
  const horizon = Math.max(Math.min(oldest, q.now), q.now - MAX_RAW_TAIL_MS);
  return bucketStart(horizon, bucketMs);
}
