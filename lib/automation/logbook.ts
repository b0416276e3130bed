import type { Pool } from 'pg';
import { saveRuns } from './automation-store';
import type { AutomationRun, CauseLink, LogbookEntry, LogbookKind } from './automation-types';

/**
 * A house's timeline: device state changes, commands and their outcome, alerts and automation
 * runs, each with the chain of causes that led to it. Written in batches by the automation
 * service; read a page at a time with filters; trimmed per the site's retention.
 */
export const DEFAULT_RETENTION_DAYS = 30;

const time = (at: number) => new Date(at).toISOString().slice(11, 16);

/** "automation 'hall motion' ← motion sensor salon/pir motion=true 21:04" */
export function describeCause(cause: readonly CauseLink[]): string {
  return cause
    .map((c) => {
      switch (c.kind) {
        case 'automation':
          return `automation '${c.name}'`;
        case 'schedule':
          return `schedule '${c.name}'`;
        case 'scene':
          return `scene '${c.name}'`;
        case 'user':
          return c.name;
        case 'reading':
          return `${c.deviceId} ${c.attribute}=${String(c.value)} ${time(c.at)}`;
        case 'device':
          return `${c.deviceId} ${c.state} ${time(c.at)}`;
        case 'alert':
          return `alert "${c.message}" ${time(c.at)}`;
        case 'time':
          return `time ${time(c.at)}`;
      }
      return '';
    })
    .join(' ← ');
}

export async function writeLogbook(pool: Pool, entries: readonly LogbookEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await pool.query(
    `insert into logbook (site, at, kind, device_id, message, cause)
     select s, to_timestamp(t / 1000.0), k, d, m, c from unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) as u(s, t, k, d, m, c)`,
    [entries.map((e) => e.site), entries.map((e) => e.at), entries.map((e) => e.kind), entries.map((e) => e.deviceId), entries.map((e) => e.message), entries.map((e) => JSON.stringify(e.cause))],
  );
}

export interface LogbookQuery {
  site: string;
  kinds?: LogbookKind[];
  deviceId?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

export async function queryLogbook(pool: Pool, q: LogbookQuery): Promise<{ items: Array<LogbookEntry & { causeText: string }>; total: number }> {
  const where = ['site = $1'];
  const params: unknown[] = [q.site];
  if (q.kinds?.length) where.push(`kind = any($${params.push(q.kinds)}::text[])`);
  if (q.deviceId !== undefined) where.push(`device_id = $${params.push(q.deviceId)}`);
  if (q.from !== undefined) where.push(`at >= to_timestamp($${params.push(q.from)} / 1000.0)`);
  if (q.to !== undefined) where.push(`at <= to_timestamp($${params.push(q.to)} / 1000.0)`);
  const filter = where.join(' and ');
  const total = await pool.query(`select count(*)::int as n from logbook where ${filter}`, params);
  const res = await pool.query(`select * from logbook where ${filter} order by at desc, id desc limit $${params.length + 1} offset $${params.length + 2}`, [...params, q.limit, q.offset]);
  return {
    total: total.rows[0].n,
    items: res.rows.map((r) => {
      const cause = (r.cause ?? []) as CauseLink[];
      return { id: Number(r.id), site: r.site, at: (r.at as Date).getTime(), kind: r.kind, deviceId: r.device_id ?? null, message: r.message, cause, causeText: describeCause(cause) };
    }),
  };
}

/** Deletes entries (and automation runs) older than each site's retention; returns how many lines went. */
export async function trimLogbook(pool: Pool, now: number): Promise<number> {
  const keep = `make_interval(days => coalesce((select s.logbook_days from site_settings s where s.site = x.site), ${DEFAULT_RETENTION_DAYS}))`;
  const res = await pool.query(`delete from logbook x where at < to_timestamp($1 / 1000.0) - ${keep}`, [now]);
  await pool.query(`delete from automation_runs x where at < to_timestamp($1 / 1000.0) - ${keep}`, [now]);
  return res.rowCount ?? 0;
}

export async function saveRetention(pool: Pool, site: string, days: number | null): Promise<void> {
  await pool.query(
    `insert into site_settings (site, logbook_days) values ($1, $2) on conflict (site) do update set logbook_days = excluded.logbook_days`,
    [site, days],
  );
}

/** Logbook lines and automation runs waiting to be written: batched, serialised, kept on failure (bounded). */
export class Books {
  private entries: LogbookEntry[] = [];
  private runs: AutomationRun[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly database: () => Promise<Pool>,
    private readonly onError: (err: Error) => void,
  ) {}

  log(e: LogbookEntry): void {
    this.entries.push(e);
    if (this.entries.length > 10_000) this.entries.splice(0, this.entries.length - 10_000);
  }

  run(r: AutomationRun): void {
    this.runs.push(r);
    if (this.runs.length > 10_000) this.runs.splice(0, this.runs.length - 10_000);
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const entries = this.entries;
      const runs = this.runs;
      if (entries.length === 0 && runs.length === 0) return;
      this.entries = [];
      this.runs = [];
      try {
        const pool = await this.database();
        await writeLogbook(pool, entries);
        await saveRuns(pool, runs);
      } catch (err) {
        this.onError(err as Error);
        this.entries.unshift(...entries);
        this.runs.unshift(...runs);
      }
    });
    return this.flushing;
  }
}
