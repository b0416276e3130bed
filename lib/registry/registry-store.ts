import type { Pool, PoolClient } from 'pg';
import type { AvailabilityState, ProfileName, ReadingValue } from '../model/reading';
import type { AttributeState, DeviceMeta, DeviceRecord, DeviceState } from './device-registry';

/** Loads every device with its attributes: the registry's state after a restart. */
export async function loadDevices(pool: Pool): Promise<DeviceRecord[]> {
  const devices = await pool.query<{
    device_id: string;
    site: string;
    room: string;
    device: string;
    profile: string | null;
    state: DeviceState;
    state_since: Date;
    state_reason: string;
    first_seen: Date;
    last_seen: Date;
    learned_interval_ms: number | null;
    availability: string | null;
    meta: DeviceMeta;
  }>(`select device_id, site, room, device, profile, state, state_since, state_reason, first_seen, last_seen,
            learned_interval_ms, availability, meta from devices`);
  const byId = new Map<string, DeviceRecord>();
  for (const r of devices.rows) {
    byId.set(r.device_id, {
      deviceId: r.device_id,
      site: r.site,
      room: r.room,
      device: r.device,
      profile: (r.profile ?? undefined) as ProfileName | undefined,
      state: r.state,
      stateSince: r.state_since.getTime(),
      stateReason: r.state_reason,
      firstSeen: r.first_seen.getTime(),
      lastSeen: r.last_seen.getTime(),
      learnedIntervalMs: r.learned_interval_ms ?? undefined,
      availability: (r.availability ?? undefined) as AvailabilityState | undefined,
      attributes: new Map(),
      meta: r.meta ?? {},
    });
  }
  const attrs = await pool.query<{
    device_id: string;
    attribute: string;
    num: number | null;
    bool: boolean | null;
    text: string | null;
    unit: string | null;
    ts: Date;
    first_seen: Date;
  }>('select device_id, attribute, num, bool, text, unit, ts, first_seen from device_attributes');
  for (const a of attrs.rows) {
    const d = byId.get(a.device_id);
    if (!d) continue;
    const value: ReadingValue = a.num ?? a.bool ?? a.text ?? '';
    const state: AttributeState = { value, ts: a.ts.getTime(), firstSeen: a.first_seen.getTime() };
    if (a.unit !== null) state.unit = a.unit;
    d.attributes.set(a.attribute, state);
  }
  return [...byId.values()];
}

const UPSERT_DEVICES = `
insert into devices (device_id, site, room, device, profile, state, state_since, state_reason, first_seen, last_seen,
                     learned_interval_ms, availability, meta)
select d, s, r, n, p, st, to_timestamp(ss / 1000.0), sr, to_timestamp(fs / 1000.0), to_timestamp(ls / 1000.0), li, av, m
from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[],
            $9::float8[], $10::float8[], $11::int[], $12::text[], $13::jsonb[])
     as u(d, s, r, n, p, st, ss, sr, fs, ls, li, av, m)
on conflict (device_id) do update set
  profile = excluded.profile, state = excluded.state, state_since = excluded.state_since,
  state_reason = excluded.state_reason, last_seen = greatest(devices.last_seen, excluded.last_seen),
  learned_interval_ms = excluded.learned_interval_ms, availability = excluded.availability, meta = excluded.meta`;

const UPSERT_ATTRIBUTES = `
insert into device_attributes (device_id, attribute, num, bool, text, unit, ts, first_seen)
select d, a, n, b, x, u, to_timestamp(t / 1000.0), to_timestamp(f / 1000.0)
from unnest($1::text[], $2::text[], $3::float8[], $4::bool[], $5::text[], $6::text[], $7::float8[], $8::float8[])
     as v(d, a, n, b, x, u, t, f)
on conflict (device_id, attribute) do update set
  num = excluded.num, bool = excluded.bool, text = excluded.text, unit = excluded.unit, ts = excluded.ts
  where device_attributes.ts <= excluded.ts`;

/** Writes changed devices (with their attributes) and deletes removed ones, in one transaction. */
export async function saveDevices(pool: Pool, changed: readonly DeviceRecord[], removed: readonly string[]): Promise<void> {
  if (changed.length === 0 && removed.length === 0) return;
  const client = await pool.connect();
  try {
    await client.query('begin');
    if (removed.length > 0) await client.query('delete from devices where device_id = any($1::text[])', [removed]);
    if (changed.length > 0) await upsert(client, changed);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function upsert(client: PoolClient, changed: readonly DeviceRecord[]): Promise<void> {
  await client.query(UPSERT_DEVICES, [
    changed.map((d) => d.deviceId),
    changed.map((d) => d.site),
    changed.map((d) => d.room),
    changed.map((d) => d.device),
    changed.map((d) => d.profile ?? null),
    changed.map((d) => d.state),
    changed.map((d) => d.stateSince),
    changed.map((d) => d.stateReason),
    changed.map((d) => d.firstSeen),
    changed.map((d) => d.lastSeen),
    changed.map((d) => (d.learnedIntervalMs === undefined ? null : Math.min(2 ** 31 - 1, Math.round(d.learnedIntervalMs)))),
    changed.map((d) => d.availability ?? null),
    changed.map((d) => JSON.stringify(d.meta)),
  ]);
  const cols = { d: [] as string[], a: [] as string[], n: [] as Array<number | null>, b: [] as Array<boolean | null>, x: [] as Array<string | null>, u: [] as Array<string | null>, t: [] as number[], f: [] as number[] };
  for (const d of changed) {
    for (const [name, a] of d.attributes) {
      cols.d.push(d.deviceId);
      cols.a.push(name);
      cols.n.push(typeof a.value === 'number' ? a.value : null);
      cols.b.push(typeof a.value === 'boolean' ? a.value : null);
      cols.x.push(typeof a.value === 'string' ? a.value : null);
      cols.u.push(a.unit ?? null);
      cols.t.push(a.ts);
      cols.f.push(a.firstSeen);
    }
  }
  if (cols.d.length > 0) await client.query(UPSERT_ATTRIBUTES, [cols.d, cols.a, cols.n, cols.b, cols.x, cols.u, cols.t, cols.f]);
}
