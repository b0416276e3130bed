import type { Pool } from 'pg';
import { HOUR_MS, ROLLUP_5M_MS } from '../history/buckets';
import { NUMERIC_VALUE, rawBucketStats } from '../history/bucket-stats';
import { priceAt, tariffNeeds, type Tariff } from './tariff';

/**
 * Consumption of counters (kWh, m³) per period, in the site's time zone: a day is the local day
 * (23 or 25 hours across a DST change), a week starts on Monday, months and years are calendar
 * ones. Read from the hourly rollups (5-minute ones in zones whose offset is not whole hours, so
 * a local midnight never falls inside a bucket), plus the raw readings the rollups do not cover
 * yet. Each bucket's reset-aware delta is added to the reset-aware step from the previous
 * bucket's last value to its first (so nothing between buckets is lost and a meter reset never
 * counts negative); the first bucket steps from the last value before the range.
 */

export const PERIODS = ['hour', 'day', 'week', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

export interface CounterSeries {
  deviceId: string;
  attribute: string;
  /** To the quantity's unit (kWh, m³): 0.001 for Wh. */
  factor: number;
}

export interface ConsumptionQuery {
  timeZone: string;
  period: Period;
  from: number;
  to: number;
  series: CounterSeries[];
  tariff?: Tariff;
  /** Also the same span just before (the previous day, month, year…), bucket for bucket. */
  previous: boolean;
  /** The clock: where the rollups end and the raw tail begins. */
  now: number;
  maxBuckets: number;
}

export interface ConsumptionBucket {
  start: string;
  end: string;
  /** Real hours in the bucket: 23 or 25 on a local day with a DST change. */
  hours: number;
  total: number;
  cost: number | null;
}

export interface SeriesTotal extends CounterSeries {
  total: number;
  cost: number | null;
}

export interface ConsumptionResult {
  from: string;
  to: string;
  buckets: ConsumptionBucket[];
  previous: { from: string; to: string; buckets: ConsumptionBucket[] } | null;
  series: SeriesTotal[];
  total: number;
  cost: number | null;
}

/** Thrown for a range that would make too many buckets: the caller answers 400 with it. */
export class TooManyBuckets extends Error {}

// The shortest each period can be (a DST day has 23 hours), for the bucket bound before any SQL.
const SHORTEST_MS: Record<Period, number> = { hour: HOUR_MS, day: 23 * HOUR_MS, week: 167 * HOUR_MS, month: 28 * 24 * HOUR_MS - HOUR_MS, year: 365 * 24 * HOUR_MS - HOUR_MS };

// Like the history charts: rollups at most this far behind are completed from the raw readings.
const MAX_RAW_TAIL_MS = 6 * HOUR_MS;

export async function queryConsumption(pool: Pool, q: ConsumptionQuery): Promise<ConsumptionResult> {
  if ((q.to - q.from) / SHORTEST_MS[q.period] > q.maxBuckets + 2) {
    throw new TooManyBuckets(`at most ${q.maxBuckets} ${q.period} buckets at a time: shorten the range or choose a longer period`);
  }
  const range = await alignRange(pool, q);
  const periods = await periodsOf(pool, q, range.from, range.to);
  if (periods.length > q.maxBuckets) throw new TooManyBuckets(`at most ${q.maxBuckets} ${q.period} buckets at a time: shorten the range or choose a longer period`);
  const current = await usedByPeriod(pool, q, range.from, range.to, range.wholeHours);
  const totals = new Map<string, SeriesTotal>(q.series.map((s) => [seriesKey(s.deviceId, s.attribute), { ...s, total: 0, cost: q.tariff ? 0 : null }]));
  for (const r of current) {
    const t = totals.get(seriesKey(r.deviceId, r.attribute));
    if (!t) continue;
    t.total += r.used;
    if (t.cost !== null) t.cost += r.cost ?? 0;
  }
  const buckets = fill(periods, current, q.tariff !== undefined);
  let previous: ConsumptionResult['previous'] = null;
  if (q.previous) {
    const before = await periodsOf(pool, q, range.prevFrom, range.from);
    const used = await usedByPeriod(pool, q, range.prevFrom, range.from, range.wholeHours);
    previous = { from: new Date(range.prevFrom).toISOString(), to: new Date(range.from).toISOString(), buckets: fill(before, used, q.tariff !== undefined) };
  }
  const series = [...totals.values()].map((s) => ({ ...s, total: round(s.total), cost: s.cost === null ? null : round(s.cost) }));
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    buckets,
    previous,
    series,
    total: round(buckets.reduce((a, b) => a + b.total, 0)),
    cost: q.tariff ? round(buckets.reduce((a, b) => a + (b.cost ?? 0), 0)) : null,
  };
}

export function seriesKey(deviceId: string, attribute: string): string {
  return `${deviceId}\u0000${attribute}`;
}

/** Nine significant digits: sums of doubles (0.1 + 0.2) should not show their last bits. */
function round(x: number): number {
  return Number(x.toPrecision(9));
}

/** Hours are UTC hours (a local hour repeats or vanishes at a DST change); longer periods are local. */
function zoneFor(q: Pick<ConsumptionQuery, 'period' | 'timeZone'>): string {
  return q.period === 'hour' ? 'UTC' : q.timeZone;
}

export interface Range {
  from: number;
  to: number;
  prevFrom: number;
  /** The zone's offset is whole hours at both ends: hourly rollups fit its days. */
  wholeHours: boolean;
}

/** [from, to) widened to whole periods, and the start of the same calendar span before it. */
export async function alignRange(pool: Pool, q: Pick<ConsumptionQuery, 'timeZone' | 'period' | 'from' | 'to'>): Promise<Range> {
  const res = await pool.query<{ from: Date; to: Date; prev_from: Date; whole_hours: boolean }>(
    `select lf at time zone $3 as from, lt at time zone $3 as to, (lf - age(lt, lf)) at time zone $3 as prev_from,
            extract(minute from ($1::timestamptz at time zone $5) - ($1::timestamptz at time zone 'UTC')) = 0
              and extract(minute from ($2::timestamptz at time zone $5) - ($2::timestamptz at time zone 'UTC')) = 0 as whole_hours
       from (select date_trunc($4, $1::timestamptz at time zone $3) as lf,
                    date_trunc($4, ($2::timestamptz - interval '1 microsecond') at time zone $3) + ('1 ' || $4)::interval as lt) x`,
    [new Date(q.from), new Date(q.to), zoneFor(q), q.period, q.timeZone],
  );
  const r = res.rows[0];
  return { from: r.from.getTime(), to: r.to.getTime(), prevFrom: r.prev_from.getTime(), wholeHours: r.whole_hours };
}

async function periodsOf(pool: Pool, q: ConsumptionQuery, from: number, to: number): Promise<Array<{ start: Date; end: Date }>> {
  const res = await pool.query<{ start: Date; end: Date }>(
    `select g at time zone $3 as start, (g + ('1 ' || $4)::interval) at time zone $3 as end
       from generate_series($1::timestamptz at time zone $3, ($2::timestamptz at time zone $3) - interval '1 microsecond', ('1 ' || $4)::interval) g`,
    [new Date(from), new Date(to), zoneFor(q), q.period],
  );
  return res.rows;
}

interface Used {
  start: number;
  deviceId: string;
  attribute: string;
  used: number;
  cost: number | null;
}

async function usedByPeriod(pool: Pool, q: ConsumptionQuery, from: number, to: number, wholeHours: boolean): Promise<Used[]> {
  if (q.series.length === 0) return [];
  const table = wholeHours ? 'readings_1h' : 'readings_5m';
  const bucketMs = wholeHours ? HOUR_MS : ROLLUP_5M_MS;
  const horizon = await rollupHorizon(pool, q.now, bucketMs);
  const needs = tariffNeeds(q.tariff);
  const bucketSql = `date_bin('${wholeHours ? '1 hour' : '5 minutes'}', ts, timestamptz 'epoch')`;
  const sql = `
    with series as (select * from unnest($1::text[], $2::text[], $3::float8[]) as s(device_id, attribute, factor)),
    rolled as (
      select r.device_id, r.attribute, r.bucket, r.first, r.last, r.delta
        from ${table} r join series s on s.device_id = r.device_id and s.attribute = r.attribute
       where r.bucket >= $4::timestamptz and r.bucket < least($5::timestamptz, $6::timestamptz)),
    tail as (
      select device_id, attribute, bucket, first, last, delta from (${rawBucketStats(
        bucketSql,
        'ts >= greatest($4::timestamptz, $6::timestamptz) and ts < $5::timestamptz and (device_id, attribute) in (select device_id, attribute from series)',
      )}) t),
    before as (
      select s.device_id, s.attribute, '-infinity'::timestamptz as bucket, p.v as first, p.v as last, 0::float8 as delta
        from series s cross join lateral (
          select coalesce(
            (select ${NUMERIC_VALUE} from readings r where r.device_id = s.device_id and r.attribute = s.attribute and r.ts < $4::timestamptz
                and (r.num is not null or r.bool is not null) order by r.ts desc limit 1),
            (select h.last from ${table} h where h.device_id = s.device_id and h.attribute = s.attribute and h.bucket < $4::timestamptz and h.last is not null
              order by h.bucket desc limit 1)) as v) p
       where p.v is not null),
    stepped as (
      select device_id, attribute, bucket,
             coalesce(delta, 0) + octopus_counter_step(lag(last) over (partition by device_id, attribute order by bucket), first) as used
        from (select * from before union all select * from rolled union all select * from tail) a)
    select case when $8::text = 'hour' then date_bin('1 hour', bucket, timestamptz 'epoch') else date_trunc($8::text, bucket at time zone $7::text) at time zone $7::text end as start,
           case when $9::boolean then extract(hour from bucket at time zone $7::text)::int else 0 end as hour,
           case when $10::boolean then extract(isodow from bucket at time zone $7::text)::int else 0 end as dow,
           device_id, attribute, sum(used * factor) as used
      from stepped join series using (device_id, attribute)
     where bucket >= $4::timestamptz
     group by 1, 2, 3, 4, 5`;
  const res = await pool.query<{ start: Date; hour: number; dow: number; device_id: string; attribute: string; used: number }>(sql, [
    q.series.map((s) => s.deviceId),
    q.series.map((s) => s.attribute),
    q.series.map((s) => s.factor),
    new Date(from),
    new Date(to),
    new Date(horizon),
    q.timeZone,
    q.period,
    needs.hour,
    needs.day,
  ]);
  return res.rows.map((r) => ({
    start: r.start.getTime(),
    deviceId: r.device_id,
    attribute: r.attribute,
    used: r.used,
    cost: q.tariff ? r.used * priceAt(q.tariff, r.hour, r.dow) : null,
  }));
}

function fill(periods: Array<{ start: Date; end: Date }>, used: Used[], priced: boolean): ConsumptionBucket[] {
  const byStart = new Map<number, { total: number; cost: number }>();
  for (const u of used) {
    const b = byStart.get(u.start) ?? { total: 0, cost: 0 };
    b.total += u.used;
    b.cost += u.cost ?? 0;
    byStart.set(u.start, b);
  }
  return periods.map((p) => {
    const b = byStart.get(p.start.getTime());
    return {
      start: p.start.toISOString(),
      end: p.end.toISOString(),
      hours: (p.end.getTime() - p.start.getTime()) / HOUR_MS,
      total: round(b?.total ?? 0),
      cost: priced ? round(b?.cost ?? 0) : null,
    };
  });
}

/** Where the rollups stop being complete (the oldest bucket waiting to be rolled up), aligned down to `bucketMs`. */
export async function rollupHorizon(pool: Pool, now: number, bucketMs: number): Promise<number> {
  const res = await pool.query<{ oldest: Date | null }>('select min(bucket) as oldest from rollup_pending');
  const oldest = res.rows[0]?.oldest?.getTime() ?? now;
  const horizon = Math.max(Math.min(oldest, now), now - MAX_RAW_TAIL_MS);
  return Math.floor(horizon / bucketMs) * bucketMs;
}
