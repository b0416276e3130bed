import type { Pool } from 'pg';
import type { ReadingValue } from '../model/reading';

/** The SQL behind the API's database-backed answers. Parameterised throughout: ids come from URLs. */
export interface ReadingRow {
  ts: string;
  value: ReadingValue;
  unit: string | null;
}

export interface ReadingsQuery {
  deviceId: string;
  attribute: string;
  from: number;
  to: number;
  limit: number;
}

/**
 * Raw readings of one attribute in [from, to), oldest first, at most `limit` of them; `truncated`
 * says more remain. Served by the readings_series_time index (device_id, attribute, ts).
 */
export async function queryReadings(pool: Pool, q: ReadingsQuery): Promise<{ items: ReadingRow[]; truncated: boolean }> {
  const res = await pool.query<{ ts: Date; num: number | null; bool: boolean | null; text: string | null; unit: string | null }>(
    `select ts, num, bool, text, unit
       from readings
      where device_id = $1 and attribute = $2 and ts >= to_timestamp($3::float8 / 1000) and ts < to_timestamp($4::float8 / 1000)
      order by ts, received_at
      limit $5`,
    // One row more than asked tells whether the range holds more.
    [q.deviceId, q.attribute, q.from, q.to, q.limit + 1],
  );
  const rows = res.rows.slice(0, q.limit);
  return {
    items: rows.map((r) => ({ ts: r.ts.toISOString(), value: r.num ?? r.bool ?? r.text ?? '', unit: r.unit })),
    truncated: res.rows.length > q.limit,
  };
}

/** How many commands a device has in its history, for paging. */
export async function countCommands(pool: Pool, deviceId: string): Promise<number> {
  const res = await pool.query<{ n: number }>('select count(*)::int as n from commands where device_id = $1', [deviceId]);
  return res.rows[0]?.n ?? 0;
}

// A bucketed history (min/avg/max per interval, for charts over long ranges) comes with the
// dashboard issue; it belongs here beside the raw query.
