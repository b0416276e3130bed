import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { loadMigrations, migrate } from '../lib/db/migrate';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketCount, chooseBucket, sourceFor } from '../lib/history/buckets';
import { runHistoryMaintenance } from '../lib/history/history-maintenance';
import { queryHistory } from '../lib/history/history-query';
import type { Reading } from '../lib/model/reading';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

const reading = (deviceId: string, attribute: string, value: Reading['value'], ts: number): Reading => {
  const [site, room, device] = deviceId.split('/');
  return { deviceId, site, room, device, attribute, value, ts, deviceTs: true };
};

const store = (pool: Pool, readings: Reading[]) => storeBatch(pool, [{ readings, deadLetters: [] }]);
/** The daily partition's name for a UTC day start (epoch ms). */
const partitionOf = (day: number) => `readings_p${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;

describe('history buckets', () => {
  it('picks the smallest nice bucket that keeps a range within the points asked', () => {
    const now = Date.now();
    const cases: Array<[number, number, number]> = [
      [HOUR_MS, 1000, 5_000],
      [DAY_MS, 1000, 2 * MINUTE_MS],
      [7 * DAY_MS, 1000, 15 * MINUTE_MS],
      [30 * DAY_MS, 1000, HOUR_MS],
      [365 * DAY_MS, 1000, 12 * HOUR_MS],
      [30 * DAY_MS, 10, 7 * DAY_MS],
    ];
    for (const [range, points, expected] of cases) {
      const size = chooseBucket(now - range, now, points);
      assert.equal(size, expected, `${range} ms in ${points} points`);
      assert.ok(bucketCount(now - range, now, size) <= points);
    }
    // Decades on two points still fit.
    const wide = chooseBucket(0, 50 * 365 * DAY_MS, 2);
    assert.ok(bucketCount(0, 50 * 365 * DAY_MS, wide) <= 2);
    assert.throws(() => chooseBucket(5, 5, 10), /must end after it starts/);
  });

  it('reads rollups only when their buckets tile the chart buckets exactly', () => {
    assert.equal(sourceFor(2 * MINUTE_MS), 'raw');
    assert.equal(sourceFor(15 * MINUTE_MS), '5m');
    assert.equal(sourceFor(12 * HOUR_MS), '1h');
    assert.equal(sourceFor(7 * DAY_MS), '1h');
  });
});

describe('history in Postgres: partitions, rollups, retention, bucketed queries', function () {
  this.timeout(60000);
  let db: TestDatabase;
  let pool: Pool;
  // The test's clock: 10:00 UTC on a day about three years after the real one (whose days the
  // migration partitions), so the days it works on have no partition yet, on any day it runs.
  const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 1000 * DAY_MS + 10 * HOUR_MS;
  const today = Math.floor(now / DAY_MS) * DAY_MS;

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    await migrate(pool);
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  const partitions = async () =>
    (await pool.query<{ name: string }>("select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'readings'::regclass order by 1")).rows.map((r) => r.name);
  const rowsIn = async (table: string) => Number((await pool.query(`select count(*) as n from ${table}`)).rows[0].n);

  it('creates the coming days\' partitions and moves early readings out of the default partition', async () => {
    await store(pool, [reading('h/r/early', 't', 1, now + 2 * DAY_MS + 1000)]);
    assert.equal(await rowsIn('readings_default'), 1, 'no partition yet: the default partition took it');
    const report = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    assert.deepEqual(report.partitionsCreated, [0, 1, 2, 3].map((d) => partitionOf(today + d * DAY_MS)));
    assert.equal(await rowsIn('readings_default'), 0);
    assert.equal(report.defaultRows, 0);
    assert.equal(await rowsIn(partitionOf(today + 2 * DAY_MS)), 1);
    const again = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    assert.deepEqual(again.partitionsCreated, []);
  });

  it('rolls up closed 5-minute buckets to exactly what the raw readings say, booleans as 0/1', async () => {
    const t = now - 2 * HOUR_MS;
    const rs: Reading[] = [];
    for (let i = 0; i < 120; i++) {
      rs.push(reading('h/r/a', 'temp', 20 + (i % 7), t + i * 30_000));
      rs.push(reading('h/r/a', 'on', i % 4 === 0, t + i * 30_000));
      rs.push(reading('h/r/a', 'mode', 'eco', t + i * 30_000));
    }
    await store(pool, rs);
    const report = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    assert.equal(report.bucketsRolledUp, 12, 'the hour of readings is twelve 5-minute buckets');
    const rolled = await pool.query(
      `select r.attribute, r.bucket, r.count, r.sum, r.min, r.max, x.count as raw_count, x.sum as raw_sum, x.min as raw_min, x.max as raw_max
         from readings_5m r
         join (select attribute, date_bin('5 minutes', ts, timestamptz 'epoch') as bucket, count(*)::int as count,
                      sum(coalesce(num, bool::int)) as sum, min(coalesce(num, bool::int)) as min, max(coalesce(num, bool::int)) as max
                 from readings where device_id = 'h/r/a' group by 1, 2) x using (attribute, bucket)
        where r.device_id = 'h/r/a'`,
    );
    assert.equal(rolled.rows.length, 24, 'temp and on, twelve buckets each; text is not rolled up');
    for (const row of rolled.rows) {
      assert.deepEqual([row.count, row.sum, row.min, row.max], [row.raw_count, row.raw_sum, row.raw_min, row.raw_max], `${row.attribute} ${row.bucket}`);
    }
    const hourly = await pool.query("select attribute, count, min, max from readings_1h where device_id = 'h/r/a' order by attribute");
    assert.deepEqual(hourly.rows, [
      { attribute: 'on', count: 120, min: 0, max: 1 },
      { attribute: 'temp', count: 120, min: 20, max: 26 },
    ]);
  });

  it('recomputes a bucket when a late reading arrives after it was rolled up', async () => {
    const t = now - 2 * HOUR_MS;
    await store(pool, [reading('h/r/a', 'temp', 99, t + 10_000)]);
    await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    const hour = await pool.query("select count, max from readings_1h where device_id = 'h/r/a' and attribute = 'temp'");
    assert.deepEqual(hour.rows, [{ count: 121, max: 99 }]);
  });

  it('leaves the still-open bucket to the raw readings and merges both in a long-range query', async () => {
    await store(pool, [reading('h/r/a', 'temp', -5, now - 30_000)]);
    const report = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    assert.equal(report.bucketsRolledUp, 0, 'the bucket closing at now is not rolled up before its grace');
    const month = await queryHistory(pool, { deviceId: 'h/r/a', attribute: 'temp', from: now - 30 * DAY_MS, to: now, maxPoints: 1000, now });
    assert.equal(month.source, '1h');
    assert.equal(month.bucketMs, HOUR_MS);
    assert.equal(month.points.reduce((n, p) => n + p.count, 0), 122, 'every reading counted once: 121 rolled up, 1 raw');
    const last = month.points[month.points.length - 1];
    assert.deepEqual([last.ts, last.min, last.max, last.count], [new Date(now - HOUR_MS).toISOString(), -5, -5, 1]);
    const raw = await queryHistory(pool, { deviceId: 'h/r/a', attribute: 'temp', from: now - 3 * HOUR_MS, to: now, maxPoints: 1000, now });
    assert.equal(raw.source, 'raw');
    assert.equal(raw.points.reduce((n, p) => n + p.count, 0), 122);
    const onShare = await queryHistory(pool, { deviceId: 'h/r/a', attribute: 'on', from: now - 30 * DAY_MS, to: now, maxPoints: 1000, now });
    assert.deepEqual(onShare.points.map((p) => p.mean), [0.25], 'a quarter of the samples were on');
  });

  it('drops raw partitions past the retention while the rollups stay', async () => {
    const old = now - 40 * DAY_MS;
    const oldDay = Math.floor(old / DAY_MS) * DAY_MS;
    // An old day gets a partition the way the migration gives one to days with data.
    await pool.query(
      `create table ${partitionOf(oldDay)} partition of readings for values from ('${new Date(oldDay).toISOString()}') to ('${new Date(oldDay + DAY_MS).toISOString()}')`,
    );
    await store(pool, [reading('h/r/b', 'temp', 7, old), reading('h/r/b', 'temp', 9, old + 60_000)]);
    await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now });
    assert.equal(Number((await pool.query("select count(*) as n from readings_5m where device_id = 'h/r/b'")).rows[0].n), 1);
    const report = await runHistoryMaintenance(pool, { rawRetentionDays: 30, now: () => now });
    assert.ok(report.partitionsDropped.includes(partitionOf(oldDay)), report.partitionsDropped.join());
    const cutoffName = partitionOf(today - 30 * DAY_MS);
    assert.ok(report.partitionsDropped.every((name) => name < cutoffName), 'only days past the retention');
    assert.ok(!(await partitions()).includes(partitionOf(oldDay)));
    assert.equal(Number((await pool.query("select count(*) as n from readings where device_id = 'h/r/b'")).rows[0].n), 0);
    const history = await queryHistory(pool, { deviceId: 'h/r/b', attribute: 'temp', from: old - DAY_MS, to: now, maxPoints: 1000, now });
    assert.deepEqual(history.points.map((p) => [p.min, p.mean, p.max, p.count]), [[7, 8, 9, 2]], 'the chart still has the day');
    assert.ok((await partitions()).includes(partitionOf(today)), 'recent partitions stay');
  });

  it('gives late readings of past days their own partitions, a bounded number of days per run, and retention drops them by day', async () => {
    // A hub back after a week drains its queue; a device with a wrong clock sends last year's time.
    const weekAgo = now - 7 * DAY_MS + 5 * MINUTE_MS;
    const yearAgo = now - 366 * DAY_MS;
    const spread = [1, 2, 3].map((d) => now - (100 + d) * DAY_MS);
    await store(pool, [reading('h/r/late', 'temp', 1, weekAgo), reading('h/r/late', 'temp', 2, yearAgo), ...spread.map((t, i) => reading('h/r/late', 'temp', 10 + i, t))]);
    assert.equal(await rowsIn('readings_default'), 5, 'no partition for those days: the default partition took them');
    const first = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now, daysMovedPerRun: 3 });
    const dayOf = (t: number) => partitionOf(Math.floor(t / DAY_MS) * DAY_MS);
    assert.deepEqual(first.pastDaysMoved, [yearAgo, spread[2], spread[1]].map(dayOf), 'oldest first, three days');
    assert.equal(first.defaultRows, 2, 'two days wait for the next run');
    const second = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now, daysMovedPerRun: 3 });
    assert.deepEqual(second.pastDaysMoved, [spread[0], weekAgo].map(dayOf));
    assert.equal(second.defaultRows, 0);
    assert.equal(await rowsIn('readings_default'), 0);
    for (const t of [weekAgo, yearAgo, ...spread]) assert.equal(await rowsIn(dayOf(t)), 1, dayOf(t));
    // Moved readings are rolled up like any other.
    const rolled = await pool.query("select count(*)::int as n from readings_5m where device_id = 'h/r/late'");
    assert.equal(rolled.rows[0].n, 5);
    const third = await runHistoryMaintenance(pool, { rawRetentionDays: 365, now: () => now });
    assert.ok(third.partitionsDropped.includes(dayOf(yearAgo)), third.partitionsDropped.join());
    assert.ok(!third.partitionsDropped.includes(dayOf(weekAgo)));
    assert.equal(await rowsIn(dayOf(weekAgo)), 1, 'the week-old day stays');
  });

  it('leaves days past the retention to be deleted from the default partition rather than partitioned', async () => {
    const ancient = now - 500 * DAY_MS;
    await store(pool, [reading('h/r/ancient', 'temp', 1, ancient)]);
    const report = await runHistoryMaintenance(pool, { rawRetentionDays: 365, now: () => now });
    assert.deepEqual(report.pastDaysMoved, []);
    assert.equal(report.defaultRowsExpired, 1);
    assert.equal(report.defaultRows, 0);
  });
});

describe('the history migration on a database that already holds readings', function () {
  this.timeout(60000);
  let db: TestDatabase;
  let pool: Pool;
  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('moves every existing reading into daily partitions and queues them for rolling up', async () => {
    const all = loadMigrations();
    const before = all.filter((m) => m.version < '004');
    // Three days of hourly readings, starting 40 days before the real today (which the migration partitions too).
    const first = Math.floor(Date.now() / DAY_MS) * DAY_MS - 40 * DAY_MS;
    const day = (n: number) => partitionOf(first + n * DAY_MS);
    await migrate(pool, before);
    await pool.query(
      `insert into readings (device_id, attribute, ts, num, device_ts)
       select 'h/r/old', 'temp', $1::timestamptz + g * interval '1 hour', g, true from generate_series(0, 71) g`,
      [new Date(first)],
    );
    await pool.query("insert into readings (device_id, attribute, ts, text, device_ts) values ('h/r/old', 'mode', $1, 'eco', true)", [new Date(first + DAY_MS)]);
    assert.deepEqual(await migrate(pool, all), all.filter((m) => m.version >= '004').map((m) => m.version));
    const days = await pool.query<{ name: string; n: string }>(
      "select c.relname as name, (select count(*) from readings r where r.tableoid = c.oid) as n from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'readings'::regclass order by 1",
    );
    const today = partitionOf(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const counts = new Map(days.rows.map((r) => [r.name, Number(r.n)]));
    assert.deepEqual(
      [counts.get('readings_default'), counts.get(day(0)), counts.get(day(1)), counts.get(day(2))],
      [0, 24, 25, 24],
    );
    assert.ok(counts.has(today), 'today has its partition before any reading arrives');
    assert.equal(Number((await pool.query('select count(*) as n from rollup_pending')).rows[0].n), 72, 'one 5-minute bucket per hourly reading');
    // A stored duplicate is still refused by the unique index across the partitions.
    const dup = await pool.query(
      "insert into readings (device_id, attribute, ts, num, device_ts) values ('h/r/old', 'temp', $1, 0, true) on conflict (device_id, attribute, ts) where device_ts do nothing",
      [new Date(first)],
    );
    assert.equal(dup.rowCount, 0);
  });
});
