import type { Pool } from 'pg';
import type { Automation, AutomationDefinition, AutomationRun, Scene, Schedule } from './automation-types';
import type { SiteClock } from './schedule-plan';

/** The SQL of schedules, scenes, automations and their runs (db/010_automation.sql). Parameterized. */

const ms = (d: unknown): number | null => (d instanceof Date ? d.getTime() : null);

export async function loadScenes(pool: Pool): Promise<Scene[]> {
  const res = await pool.query('select * from scenes order by site, name');
  return res.rows.map((r) => ({
    id: r.id,
    site: r.site,
    name: r.name,
    targets: r.targets,
    previous: r.previous ?? null,
    appliedAt: ms(r.applied_at),
    updatedAt: ms(r.updated_at) ?? 0,
    updatedBy: r.updated_by ?? null,
  }));
}

export async function saveScene(pool: Pool, s: Scene): Promise<void> {
  await pool.query(
    `insert into scenes (id, site, name, targets, previous, applied_at, updated_at, updated_by)
     values ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0), $8)
     on conflict (id) do update set name = excluded.name, targets = excluded.targets, previous = excluded.previous,
       applied_at = excluded.applied_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [s.id, s.site, s.name, JSON.stringify(s.targets), s.previous === null ? null : JSON.stringify(s.previous), s.appliedAt, s.updatedAt, s.updatedBy],
  );
}

export async function loadSchedules(pool: Pool): Promise<Schedule[]> {
  const res = await pool.query('select * from schedules order by site, name');
  return res.rows.map((r) => ({
    id: r.id,
    site: r.site,
    name: r.name,
    enabled: r.enabled,
    action: r.definition.action,
    slots: r.definition.slots,
    lastSlot: ms(r.last_slot),
    updatedAt: ms(r.updated_at) ?? 0,
    updatedBy: r.updated_by ?? null,
  }));
}

export async function saveSchedule(pool: Pool, s: Schedule): Promise<void> {
  await pool.query(
    `insert into schedules (id, site, name, enabled, definition, last_slot, updated_at, updated_by)
     values ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0), $8)
     on conflict (id) do update set name = excluded.name, enabled = excluded.enabled, definition = excluded.definition,
       last_slot = excluded.last_slot, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [s.id, s.site, s.name, s.enabled, JSON.stringify({ action: s.action, slots: s.slots }), s.lastSlot, s.updatedAt, s.updatedBy],
  );
}

export async function saveLastSlot(pool: Pool, id: string, lastSlot: number): Promise<void> {
  await pool.query('update schedules set last_slot = to_timestamp($2 / 1000.0) where id = $1', [id, lastSlot]);
}

export async function loadAutomations(pool: Pool): Promise<Automation[]> {
  const res = await pool.query('select * from automations order by site, name');
  return res.rows.map((r) => {
    const d = r.definition as AutomationDefinition;
    return {
      id: r.id,
      site: r.site,
      name: r.name,
      enabled: r.enabled,
      trigger: d.trigger,
      conditions: d.conditions,
      actions: d.actions,
      maxRunsPerHour: d.maxRunsPerHour,
      updatedAt: ms(r.updated_at) ?? 0,
      updatedBy: r.updated_by ?? null,
    };
  });
}

export async function saveAutomation(pool: Pool, a: Automation): Promise<void> {
  const definition: AutomationDefinition = { trigger: a.trigger, conditions: a.conditions, actions: a.actions, maxRunsPerHour: a.maxRunsPerHour };
  await pool.query(
    `insert into automations (id, site, name, enabled, definition, updated_at, updated_by)
     values ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), $7)
     on conflict (id) do update set name = excluded.name, enabled = excluded.enabled, definition = excluded.definition,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [a.id, a.site, a.name, a.enabled, JSON.stringify(definition), a.updatedAt, a.updatedBy],
  );
}

export async function deleteRow(pool: Pool, table: 'scenes' | 'schedules' | 'automations', id: string): Promise<void> {
  // The table name is one of three constants, never input.
  await pool.query(`delete from ${table} where id = $1`, [id]);
}

export async function saveRuns(pool: Pool, runs: readonly AutomationRun[]): Promise<void> {
  if (runs.length === 0) return;
  await pool.query(
    `insert into automation_runs (automation_id, site, at, outcome, detail, cause)
     select a, s, to_timestamp(t / 1000.0), o, d, c from unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::jsonb[]) as u(a, s, t, o, d, c)`,
    [runs.map((r) => r.automationId), runs.map((r) => r.site), runs.map((r) => r.at), runs.map((r) => r.outcome), runs.map((r) => r.detail), runs.map((r) => JSON.stringify(r.cause))],
  );
}

export async function loadRuns(pool: Pool, automationId: string, limit: number): Promise<AutomationRun[]> {
  const res = await pool.query('select * from automation_runs where automation_id = $1 order by at desc, id desc limit $2', [automationId, limit]);
  return res.rows.map((r) => ({ automationId: r.automation_id, site: r.site, at: (r.at as Date).getTime(), outcome: r.outcome, detail: r.detail ?? '', cause: r.cause ?? [] }));
}

export interface SiteLocation extends SiteClock {
  site: string;
  name: string | null;
}

export async function loadSiteClocks(pool: Pool): Promise<SiteLocation[]> {
  const res = await pool.query('select site, time_zone, name, latitude, longitude from site_settings');
  return res.rows.map((r) => ({ site: r.site, timeZone: r.time_zone, name: r.name ?? null, latitude: r.latitude ?? null, longitude: r.longitude ?? null }));
}

export async function saveSiteLocation(pool: Pool, site: string, loc: { name: string | null; latitude: number | null; longitude: number | null; timeZone?: string }, by: string): Promise<SiteLocation> {
  const res = await pool.query(
    `insert into site_settings (site, time_zone, name, latitude, longitude, updated_by) values ($1, coalesce($5, 'UTC'), $2, $3, $4, $6)
     on conflict (site) do update set name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude,
       time_zone = coalesce($5, site_settings.time_zone), updated_at = now(), updated_by = excluded.updated_by
     returning site, time_zone, name, latitude, longitude`,
    [site, loc.name, loc.latitude, loc.longitude, loc.timeZone ?? null, by],
  );
  const r = res.rows[0];
  return { site: r.site, timeZone: r.time_zone, name: r.name ?? null, latitude: r.latitude ?? null, longitude: r.longitude ?? null };
}
