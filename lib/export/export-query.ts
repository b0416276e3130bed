import type { Pool } from 'pg';
import { STAT_COLUMNS, mergedBucketStats, rawBucketStats } from '../history/bucket-stats';
import { HOUR_MS, ROLLUP_5M_MS } from '../history/buckets';
import { rollupHorizon } from '../energy/consumption';

/**
 * The SQL of an export: raw readings, or per-bucket statistics (5 minutes and hours from their
 * rollups plus the raw tail the rollups do not cover yet; local days from the hourly rollups in
 * the chosen time zone), always limited to one site (and optionally one device and some
 * attributes) and ordered by time. Times are written by Postgres in the session's time zone,
 * which the export sets for its transaction.
 */

export const RESOLUTIONS = ['raw', '5min', '1h', '1day'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface ExportQuery {
  site: string;
  /** Only this device (the device export). */
  deviceId?: string;
  /** Only these attributes; all when absent. */
  attributes?: string[];
  from: number;
  to: number;
  resolution: Resolution;
  /** The zone times are written in (and days counted in): the site's, or UTC. */
  timeZone: string;
  /** The clock, for where the rollups end. */
  now: number;
}

export const RAW_COLUMNS = ['time', 'device_id', 'site', 'room', 'device', 'attribute', 'value', 'unit'] as const;
export const STAT_EXPORT_COLUMNS = ['time', 'device_id', 'site', 'room', 'device', 'attribute', 'count', 'mean', 'min', 'max', 'first', 'last', 'delta', 'unit'] as const;

const TIME = `to_char(%s, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM')`;
const time = (expr: string) => TIME.replace('%s', expr);

// $1 site, $2 from, $3 to, $4 attributes (null: all), $5 device (null: all); the statistics add $6 horizon, $7 zone.
const SCOPE = `d.site = $1::text and ($5::text is null or d.device_id = $5::text) and ($4::text[] is null or x.attribute = any($4::text[]))`;
const DEVICE = `coalesce(d.meta->>'room', d.room) as room, d.device`;

export interface ExportStatement {
  sql: string;
  params: unknown[];
  columns: readonly string[];
}

export async function exportStatement(pool: Pool, q: ExportQuery): Promise<ExportStatement> {
  const base = [q.site, new Date(q.from), new Date(q.to), q.attributes && q.attributes.length > 0 ? q.attributes : null, q.deviceId ?? null];
  if (q.resolution === 'raw') {
    return {
      columns: RAW_COLUMNS,
      params: base,
      sql: `
        select ${time('x.ts')} as time, x.device_id, d.site, ${DEVICE}, x.attribute,
               x.num, x.bool, x.text, x.unit
          from readings x join devices d on d.device_id = x.device_id
         where ${SCOPE} and x.ts >= $2::timestamptz and x.ts < $3::timestamptz
         order by x.ts, x.device_id, x.attribute, x.received_at`,
    };
  }
  const fine = q.resolution === '5min' ? { table: 'readings_5m', ms: ROLLUP_5M_MS, bin: '5 minutes' } : { table: 'readings_1h', ms: HOUR_MS, bin: '1 hour' };
  const horizon = await rollupHorizon(pool, q.now, fine.ms);
  const inSite = `device_id in (select device_id from devices where site = $1::text and ($5::text is null or device_id = $5::text))`;
  let stats = `
    select ${STAT_COLUMNS} from ${fine.table}
     where bucket >= $2::timestamptz and bucket < least($3::timestamptz, $6::timestamptz) and ${inSite}
    union all
    select ${STAT_COLUMNS} from (${rawBucketStats(`date_bin('${fine.bin}', ts, timestamptz 'epoch')`, `ts >= greatest($2::timestamptz, $6::timestamptz) and ts < $3::timestamptz and ${inSite}`)}) t`;
  if (q.resolution === '1day') stats = mergedBucketStats(`date_trunc('day', bucket, $7::text)`, `(${stats}) u`);
  return {
    columns: STAT_EXPORT_COLUMNS,
    params: [...base, new Date(horizon), q.timeZone],
    sql: `
      with x as (${stats})
      select ${time('x.bucket')} as time, x.device_id, d.site, ${DEVICE}, x.attribute, x.count,
             x.sum / nullif(x.count, 0) as mean, x.min, x.max, x.first, x.last, x.delta, a.unit
        from x join devices d on d.device_id = x.device_id
        left join device_attributes a on a.device_id = x.device_id and a.attribute = x.attribute
       where ${SCOPE} and $7::text is not null
       order by x.bucket, x.device_id, x.attribute`,
  };
}
