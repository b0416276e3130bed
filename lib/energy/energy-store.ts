import type { Pool } from 'pg';
import type { AttributeClass } from './attribute-class';
import type { Tariffs } from './tariff';

/** A site's energy settings as stored (db/007_energy.sql site_settings); sites without a row count in UTC, unpriced. */
export interface SiteSettings {
  site: string;
  timeZone: string;
  tariffs: Tariffs;
  updatedAt: number | null;
  updatedBy: string | null;
}

export async function loadSiteSettings(pool: Pool, site: string): Promise<SiteSettings> {
  const res = await pool.query<{ time_zone: string; tariff: Tariffs | null; updated_at: Date; updated_by: string | null }>(
    'select time_zone, tariff, updated_at, updated_by from site_settings where site = $1',
    [site],
  );
  const r = res.rows[0];
  return r
    ? { site, timeZone: r.time_zone, tariffs: r.tariff ?? {}, updatedAt: r.updated_at.getTime(), updatedBy: r.updated_by }
    : { site, timeZone: 'UTC', tariffs: {}, updatedAt: null, updatedBy: null };
}

export async function saveSiteSettings(pool: Pool, site: string, timeZone: string, tariffs: Tariffs, by: string): Promise<SiteSettings> {
  await pool.query(
    `insert into site_settings (site, time_zone, tariff, updated_at, updated_by) values ($1, $2, $3, now(), $4)
     on conflict (site) do update set time_zone = excluded.time_zone, tariff = excluded.tariff, updated_at = now(), updated_by = excluded.updated_by`,
    [site, timeZone, JSON.stringify(tariffs), by],
  );
  return loadSiteSettings(pool, site);
}

/** Whether Postgres knows the zone by this IANA name (what every consumption query will ask it). */
export async function isKnownTimeZone(pool: Pool, name: string): Promise<boolean> {
  const res = await pool.query('select 1 from pg_timezone_names where name = $1', [name]);
  return (res.rowCount ?? 0) > 0;
}

export type StoredClass = { class: AttributeClass; source: 'user' | 'device' };

/** Stored classes of these devices' attributes, by `deviceId\u0000attribute`. */
export async function loadClasses(pool: Pool, deviceIds: string[]): Promise<Map<string, StoredClass>> {
  const out = new Map<string, StoredClass>();
  if (deviceIds.length === 0) return out;
  const res = await pool.query<{ device_id: string; attribute: string; class: AttributeClass; source: 'user' | 'device' }>(
    'select device_id, attribute, class, source from attribute_classes where device_id = any($1::text[])',
    [deviceIds],
  );
  for (const r of res.rows) out.set(classKey(r.device_id, r.attribute), { class: r.class, source: r.source });
  return out;
}

export function classKey(deviceId: string, attribute: string): string {
  return `${deviceId}\u0000${attribute}`;
}

/** A person's class for an attribute; null forgets it (back to what the unit and name say). */
export async function saveClass(pool: Pool, deviceId: string, attribute: string, cls: AttributeClass | null, by: string): Promise<void> {
  if (cls === null) {
    await pool.query("delete from attribute_classes where device_id = $1 and attribute = $2 and source = 'user'", [deviceId, attribute]);
    return;
  }
  await pool.query(
    `insert into attribute_classes (device_id, attribute, class, source, updated_at, updated_by) values ($1, $2, $3, 'user', now(), $4)
     on conflict (device_id, attribute) do update set class = excluded.class, source = 'user', updated_at = now(), updated_by = excluded.updated_by`,
    [deviceId, attribute, cls, by],
  );
}

/**
 * Classes devices announced (source 'device'): inserted, or updated over an earlier device class,
 * never over a person's (source 'user'): a person's choice wins over what the device says.
 */
export async function saveDeviceClasses(pool: Pool, rows: ReadonlyArray<{ deviceId: string; attribute: string; class: AttributeClass }>): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `insert into attribute_classes (device_id, attribute, class, source, updated_at)
     select d, a, c, 'device', now() from unnest($1::text[], $2::text[], $3::text[]) as u(d, a, c)
     on conflict (device_id, attribute) do update set class = excluded.class, updated_at = now(), updated_by = null
     where attribute_classes.source = 'device' and attribute_classes.class <> excluded.class`,
    [rows.map((r) => r.deviceId), rows.map((r) => r.attribute), rows.map((r) => r.class)],
  );
}
