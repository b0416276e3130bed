import type { PoolClient } from 'pg';
import type { Reading, RejectCode } from '../model/reading';
import type { ReadingBatch } from './5-reading-batch';
import { batchColumnLiterals } from './8-batch-columns';

/**
 * One statement per batch: columns travel as arrays and `unnest` turns them back into rows, so a
 * batch of any size costs one round trip and one plan, with no parameter-count limit.
 * Readings with a device timestamp that were stored before (broker redelivery) are skipped.
 */
const INSERT_READINGS = `
insert into readings (device_id, attribute, ts, num, bool, text, unit, device_ts)
select d, a, to_timestamp(t / 1000.0), n, b, x, u, dt
from unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::bool[], $6::text[], $7::text[], $8::bool[]) as r(d, a, t, n, b, x, u, dt)
on conflict (device_id, attribute, ts) where device_ts do nothing`;

const UPSERT_DEVICES = `
insert into devices (device_id, site, room, device, first_seen, last_seen)
select d, s, r, n, t, t from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) as u(d, s, r, n, t)
on conflict (device_id) do update set last_seen = greatest(devices.last_seen, excluded.last_seen)`;

const MARK_ROLLUP_PENDING = `
insert into rollup_pending (bucket) select to_timestamp(b / 1000.0) from unnest($1::float8[]) as u(b)
on conflict do nothing`;

const ROLLUP_BUCKET_MS = 5 * 60_000;

const INSERT_DEAD_LETTERS = `
insert into dead_letters (topic, payload, code, reason, detail)
select * from unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::jsonb[])`;

/**
 * The same insert from columnar batches (issue #23): each column goes as one array literal built
 * straight from the batch (typed arrays joined natively, each distinct string escaped once), so
 * node-postgres has nothing left to convert. The value travels as a number plus the kind bits.
 */
const INSERT_READING_COLUMNS = `
insert into readings (device_id, attribute, ts, num, bool, text, unit, device_ts)
select d, a, to_timestamp(t / 1000.0), case when (f & 3) = 0 then n end, case when (f & 3) = 1 then n <> 0 end, x, u, (f & 4) <> 0
from unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int2[], $6::text[], $7::text[]) as r(d, a, t, n, f, x, u)
on conflict (device_id, attribute, ts) where device_ts do nothing`;

export async function insertReadingBatches(client: PoolClient, batches: readonly ReadingBatch[]): Promise<number> {
  const c = batchColumnLiterals(batches);
  if (c.count === 0) return 0;
  const res = await client.query(INSERT_READING_COLUMNS, [c.deviceId, c.attribute, c.ts, c.num, c.flags, c.text, c.unit]);
  return res.rowCount ?? 0;
}

/**
 * markRollupPending for columnar batches: the numbers and booleans, one per distinct time (what
 * markRollupPending reads of a reading is its time and whether its value is text), so the bucket
 * rule stays in one place.
 */
export async function markRollupPendingBatches(client: PoolClient, batches: readonly ReadingBatch[]): Promise<void> {
  const byTs = new Map<number, Reading>();
  for (const b of batches) {
    const n = b.length;
    const { flags, ts } = b.columns();
    for (let i = 0; i < n; i++) {
      if ((flags[i] & 3) === 2 || byTs.has(ts[i])) continue;
      byTs.set(ts[i], { deviceId: '', site: '', room: '', device: '', attribute: '', value: 0, ts: ts[i], deviceTs: false });
    }
  }
  await markRollupPending(client, [...byTs.values()]);
}

export async function insertReadings(client: PoolClient, readings: readonly Reading[]): Promise<number> {
  const n = readings.length;
  if (n === 0) return 0;
  const device = new Array<string>(n);
  const attribute = new Array<string>(n);
  // Epoch milliseconds travel as numbers: cheaper to send than formatted dates, exact to the ms.
  const ts = new Array<number>(n);
  const num = new Array<number | null>(n);
  const bool = new Array<boolean | null>(n);
  const text = new Array<string | null>(n);
  const unit = new Array<string | null>(n);
  const deviceTs = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i];
    device[i] = r.deviceId;
    attribute[i] = r.attribute;
    ts[i] = r.ts;
    num[i] = typeof r.value === 'number' ? r.value : null;
    bool[i] = typeof r.value === 'boolean' ? r.value : null;
    text[i] = typeof r.value === 'string' ? r.value : null;
    unit[i] = r.unit ?? null;
    deviceTs[i] = r.deviceTs;
  }
  const res = await client.query(INSERT_READINGS, [device, attribute, ts, num, bool, text, unit, deviceTs]);
  return res.rowCount ?? 0;
}

/**
 * Marks the 5-minute buckets these readings fall in as changed, for the rollup maintenance. Only
 * numbers and booleans are rolled up; a batch touches few buckets, so this is one small statement.
 */
export async function markRollupPending(client: PoolClient, readings: readonly Reading[]): Promise<void> {
  const buckets = new Set<number>();
  for (const r of readings) {
    if (typeof r.value === 'number' || typeof r.value === 'boolean') buckets.add(Math.floor(r.ts / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS);
  }
  if (buckets.size === 0) return;
  // Sorted, so concurrent batches take the rows' locks in one order.
  await client.query(MARK_ROLLUP_PENDING, [[...buckets].sort((a, b) => a - b)]);
}

/** What the devices table keeps of a reading. */
export type DeviceRow = Pick<Reading, 'deviceId' | 'site' | 'room' | 'device' | 'ts'>;

/** Keeps the devices table current: one row per device seen in the batch, last_seen only moves forward. */
export async function upsertDevices(client: PoolClient, readings: readonly DeviceRow[]): Promise<void> {
  const latest = new Map<string, DeviceRow>();
  for (const r of readings) {
    const seen = latest.get(r.deviceId);
    if (!seen || seen.ts < r.ts) latest.set(r.deviceId, r);
  }
  if (latest.size === 0) return;
  const rows = [...latest.values()];
  await client.query(UPSERT_DEVICES, [
    rows.map((r) => r.deviceId),
    rows.map((r) => r.site),
    rows.map((r) => r.room),
    rows.map((r) => r.device),
    rows.map((r) => new Date(r.ts)),
  ]);
}

export interface DeadLetter {
  topic: string | undefined;
  payload: Buffer | undefined;
  code: RejectCode | 'store-failed';
  reason: string;
  detail?: unknown;
}

export async function insertDeadLetters(client: PoolClient, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await client.query(INSERT_DEAD_LETTERS, [
    letters.map((l) => l.topic ?? null),
    letters.map((l) => l.payload ?? null),
    letters.map((l) => l.code),
    letters.map((l) => l.reason),
    letters.map((l) => (l.detail === undefined ? null : JSON.stringify(l.detail))),
  ]);
}
