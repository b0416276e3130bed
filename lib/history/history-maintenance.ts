import type { Pool, PoolClient } from 'pg';
import { DAY_MS, HOUR_MS, MINUTE_MS, ROLLUP_5M_MS } from './buckets';
import { mergedBucketStats, rawBucketStats } from './bucket-stats';

export interface MaintenanceOptions {
  /** Raw readings older than this many days are dropped (whole daily partitions); 0 keeps them all. */
  rawRetentionDays: number;
  /** Days ahead for which partitions exist before any reading needs them. */
  partitionsAhead?: number;
  /** A 5-minute bucket is rolled up once it has been closed this long (late readings re-open it). */
  graceMs?: number;
  /** Buckets rolled up per run, so one run stays short while a backlog drains over several. */
  bucketsPerRun?: number;
  /** Past days moved out of the default partition per run (each its own short transaction). */
  daysMovedPerRun?: number;
  now?: () => number;
}

export interface MaintenanceReport {
  partitionsCreated: string[];
  partitionsDropped: string[];
  bucketsRolledUp: number;
  /** Rows deleted from the default partition by retention (readings for days without a partition). */
  defaultRowsExpired: number;
  /** Closed buckets still waiting after this run (a backlog). */
  backlog: number;
  /** Partitions made for past days whose readings sat in the default partition (moved into them). */
  pastDaysMoved: string[];
  /** Rows left in the default partition after this run: days still to move, or out of any day's range. */
  defaultRows: number;
}

/** Days before 2000 or after 9999 get no partition: no valid reading has such a time (the parser refuses them). */
const FIRST_PARTITION_DAY = Date.UTC(2000, 0, 1);
const LAST_PARTITION_DAY = Date.UTC(9999, 11, 31);

// One maintenance at a time per database, whichever Octopus instance runs it.
const MAINTENANCE_LOCK = 0x0c7096;
const PARTITION = /^readings_p(\d{4})(\d{2})(\d{2})$/;

/**
 * Keeps the history tables in shape: daily partitions of `readings` created ahead of time, the
 * 5-minute and hourly rollups recomputed for every bucket the store marked as changed, and raw
 * partitions past the retention dropped (the rollups stay). Safe to run from several instances.
 */
export async function runHistoryMaintenance(pool: Pool, options: MaintenanceOptions): Promise<MaintenanceReport> {
  const now = options.now?.() ?? Date.now();
  const report: MaintenanceReport = {
    partitionsCreated: [],
    partitionsDropped: [],
    bucketsRolledUp: 0,
    defaultRowsExpired: 0,
    backlog: 0,
    pastDaysMoved: [],
    defaultRows: 0,
  };
  const client = await pool.connect();
  try {
    const locked = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [MAINTENANCE_LOCK]);
    if (!locked.rows[0].ok) return report;
    try {
      const existing = await partitionDays(client);
      const today = Math.floor(now / DAY_MS) * DAY_MS;
      report.partitionsCreated = await createPartitions(client, existing, today, today + (options.partitionsAhead ?? 3) * DAY_MS);
      const cutoff = options.rawRetentionDays > 0 ? Math.floor((now - options.rawRetentionDays * DAY_MS) / DAY_MS) * DAY_MS : FIRST_PARTITION_DAY;
      report.pastDaysMoved = await moveStrayDays(client, existing, Math.max(cutoff, FIRST_PARTITION_DAY), options.daysMovedPerRun ?? 31);
      const rolled = await rollUp(client, now, options.graceMs ?? MINUTE_MS, options.bucketsPerRun ?? 288);
      report.bucketsRolledUp = rolled.done;
      report.backlog = rolled.backlog;
      if (options.rawRetentionDays > 0) {
        report.partitionsDropped = await dropPartitionsBefore(client, existing, cutoff);
        const expired = await client.query('delete from readings_default where ts < to_timestamp($1::float8 / 1000)', [cutoff]);
        report.defaultRowsExpired = expired.rowCount ?? 0;
      }
      report.defaultRows = Number((await client.query<{ n: string }>('select count(*) as n from readings_default')).rows[0].n);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MAINTENANCE_LOCK]);
    }
  } finally {
    client.release();
  }
  return report;
}

/** Start of each day (UTC, epoch ms) that has a partition, from the partitions' names. */
async function partitionDays(client: PoolClient): Promise<Map<number, string>> {
  const res = await client.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'readings'::regclass`,
  );
  const days = new Map<number, string>();
  for (const { name } of res.rows) {
    const m = PARTITION.exec(name);
    if (m) days.set(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])), name);
  }
  return days;
}

function partitionName(day: number): string {
  return `readings_p${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * Partitions for every day in [fromDay, toDay] (UTC day starts) that lacks one, e.g. before
 * loading a history. Run without the maintenance lock: only for setup, not beside a maintainer.
 */
export async function ensureDayPartitions(pool: Pool, fromDay: number, toDay: number): Promise<string[]> {
  const client = await pool.connect();
  try {
    return await createPartitions(client, await partitionDays(client), fromDay, toDay);
  } finally {
    client.release();
  }
}

/**
 * The given days' partitions (today's and the next days' in the maintenance). A reading that arrived before its day had a partition sits
 * in the default partition; it moves into the new partition in the same transaction, which is
 * why the partition is filled first and attached after (creating it attached would be refused).
 */
async function createPartitions(client: PoolClient, existing: Map<number, string>, fromDay: number, toDay: number): Promise<string[]> {
  const created: string[] = [];
  for (let day = fromDay; day <= toDay; day += DAY_MS) {
    if (existing.has(day)) continue;
    const name = partitionName(day);
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    await client.query('begin');
    try {
      // Held to the commit: a reading committed into the default partition after the move below
      // would make the attach fail. Inserts wait for this short transaction instead.
      await client.query('lock table readings_default in access exclusive mode');
      await client.query(`create table ${name} (like readings including defaults)`);
      await client.query(
        `with moved as (delete from readings_default where ts >= $1 and ts < $2 returning *)
         insert into ${name} select * from moved`,
        [from, to],
      );
      await client.query(`alter table readings attach partition ${name} for values from ('${from}') to ('${to}')`);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
    existing.set(day, name);
    created.push(name);
  }
  return created;
}

/**
 * Gives their own partition to days whose readings sit in the default partition: a hub that was
 * offline for a week and drains its queue, a device with a wrong clock, an import. Without this
 * they would stay in the default partition for good, where retention cannot drop them by day.
 * Oldest first, up to `limit` days a run, each day moved in its own transaction (createPartitions);
 * days before `notBefore` (past the retention) are left to retention's delete instead.
 */
async function moveStrayDays(client: PoolClient, existing: Map<number, string>, notBefore: number, limit: number): Promise<string[]> {
  const days = await client.query<{ day: Date }>(
    `select distinct date_bin('1 day', ts, timestamptz 'epoch') as day from readings_default
      where ts >= to_timestamp($1::float8 / 1000) and ts < to_timestamp($2::float8 / 1000)
      order by 1 limit $3`,
    [notBefore, LAST_PARTITION_DAY + DAY_MS, limit],
  );
  const moved: string[] = [];
  for (const { day } of days.rows) {
    const start = day.getTime();
    // A day with a partition cannot have rows in the default one; skip rather than fail if it does.
    if (existing.has(start)) continue;
    moved.push(...(await createPartitions(client, existing, start, start)));
  }
  return moved;
}

async function dropPartitionsBefore(client: PoolClient, existing: Map<number, string>, cutoff: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const [day, name] of [...existing].sort((a, b) => a[0] - b[0])) {
    if (day + DAY_MS > cutoff) break;
    // Detach first: dropping an attached partition would lock the whole table for longer.
    await client.query(`alter table readings detach partition ${name}`);
    await client.query(`drop table ${name}`);
    existing.delete(day);
    dropped.push(name);
  }
  return dropped;
}

/**
 * Recomputes the rollups of closed, changed buckets, one hour at a time and oldest first: the
 * 5-minute rows from the raw readings, then the hour's row from its 5-minute rows. Taking the
 * marks and rewriting the rows happen in one transaction, so a reading committed meanwhile either
 * is seen or leaves its mark for the next run.
 */
async function rollUp(client: PoolClient, now: number, graceMs: number, limit: number): Promise<{ done: number; backlog: number }> {
  const closedBefore = now - graceMs - ROLLUP_5M_MS;
  const pending = await client.query<{ bucket: Date }>(
    'select bucket from rollup_pending where bucket <= to_timestamp($1::float8 / 1000) order by bucket limit $2',
    [closedBefore, limit + 1],
  );
  const buckets = pending.rows.slice(0, limit).map((r) => r.bucket.getTime());
  const byHour = new Map<number, number[]>();
  for (const b of buckets) {
    const hour = Math.floor(b / HOUR_MS) * HOUR_MS;
    const list = byHour.get(hour);
    if (list) list.push(b);
    else byHour.set(hour, [b]);
  }
  let done = 0;
  for (const [hour, list] of byHour) {
    await client.query('begin');
    try {
      const taken = await client.query<{ bucket: Date }>(
        'delete from rollup_pending where bucket = any($1::timestamptz[]) returning bucket',
        [list.map((b) => new Date(b))],
      );
      const mine = taken.rows.map((r) => r.bucket);
      if (mine.length > 0) {
        await client.query('delete from readings_5m where bucket = any($1::timestamptz[])', [mine]);
        const starts = mine.map((b) => b.getTime());
        await client.query(ROLLUP_5M, [mine, new Date(Math.min(...starts)), new Date(Math.max(...starts) + ROLLUP_5M_MS)]);
        await client.query('delete from readings_1h where bucket = $1', [new Date(hour)]);
        await client.query(ROLLUP_1H, [new Date(hour)]);
      }
      await client.query('commit');
      done += mine.length;
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  }
  const backlog = pending.rows.length > limit
    ? Number((await client.query<{ n: string }>('select count(*) as n from rollup_pending where bucket <= to_timestamp($1::float8 / 1000)', [closedBefore])).rows[0].n)
    : 0;
  return { done, backlog };
}

// One range scan over the hour's changed buckets (the BRIN index narrows it to those minutes),
// then only rows in a changed bucket count. First, last and the reset-aware delta: see
// db/007_energy.sql and lib/history/bucket-stats.ts.
const ROLLUP_5M = `
insert into readings_5m (device_id, attribute, bucket, count, sum, min, max, first, last, delta)
${rawBucketStats("date_bin('5 minutes', ts, timestamptz 'epoch')", 'ts >= $2 and ts < $3', 'bucket = any($1::timestamptz[])')}`;

const ROLLUP_1H = `
insert into readings_1h (device_id, attribute, bucket, count, sum, min, max, first, last, delta)
${mergedBucketStats('$1::timestamptz', "readings_5m where bucket >= $1::timestamptz and bucket < $1::timestamptz + interval '1 hour'")}`;
