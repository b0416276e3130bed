import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { loadMigrations, migrate } from '../lib/db/migrate';
import type { Reading } from '../lib/model/reading';
import { DeviceTouches } from '../lib/ingest/7-device-touches';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

/** Times relative to the test's clock: from an hour ago. */
const HOUR_AGO = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

function reading(over: Partial<Reading> = {}): Reading {
  return {
    deviceId: 'casa/salon/termo',
    site: 'casa',
    room: 'salon',
    device: 'termo',
    attribute: 'temperature',
    value: 21.5,
    unit: '°C',
    ts: HOUR_AGO,
    deviceTs: true,
    ...over,
  };
}

describe('migrations and batch store (real Postgres)', () => {
  let db: TestDatabase;
  let pool: Pool;

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 3 });
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  it('applies every migration once, in order, and records it', async () => {
    const all = loadMigrations().map((m) => m.version);
    assert.ok(all.length >= 1);
    assert.deepEqual([...all].sort(), all);
    assert.deepEqual(await migrate(pool), all);
    assert.deepEqual(await migrate(pool), []);
    const recorded = (await pool.query('select version from schema_migrations order by version')).rows.map((r) => r.version);
    assert.deepEqual(recorded, all);
  });

  it('two instances migrating at once apply each migration once', async () => {
    const other = await createTestDatabase();
    const p = new Pool({ connectionString: other.url, max: 4 });
    try {
      const [a, b] = await Promise.all([migrate(p), migrate(p)]);
      assert.deepEqual([...a, ...b].sort(), loadMigrations().map((m) => m.version));
    } finally {
      await p.end();
      await other.drop();
    }
  });

  it('a failing migration is rolled back and named, and nothing is recorded for it', async () => {
    const other = await createTestDatabase();
    const p = new Pool({ connectionString: other.url, max: 1 });
    try {
      await assert.rejects(
        migrate(p, [
          { version: '001_ok', sql: 'create table a (x int)' },
          { version: '002_bad', sql: 'create table b (x int); select * from no_such_table' },
        ]),
        /migration 002_bad failed: .*no_such_table/,
      );
      const recorded = (await p.query('select version from schema_migrations')).rows.map((r) => r.version);
      assert.deepEqual(recorded, ['001_ok']);
      assert.equal((await p.query("select to_regclass('b') as t")).rows[0].t, null);
    } finally {
      await p.end();
      await other.drop();
    }
  });

  it('stores readings of every value type and the devices they come from', async () => {
    const ts = HOUR_AGO + 60_000;
    const out = await storeBatch(pool, [
      {
        readings: [
          reading({ ts }),
          reading({ attribute: 'on', value: true, unit: undefined, ts }),
          reading({ attribute: 'mode', value: 'eco', unit: undefined, ts }),
        ],
        deadLetters: [],
      },
    ]);
    assert.deepEqual(out, { stored: 3, duplicates: 0, deadLettered: 0 });
    const rows = (
      await pool.query("select attribute, num, bool, text, unit, device_ts from readings where ts = $1 order by attribute", [new Date(ts)])
    ).rows;
    assert.deepEqual(rows, [
      { attribute: 'mode', num: null, bool: null, text: 'eco', unit: null, device_ts: true },
      { attribute: 'on', num: null, bool: true, text: null, unit: null, device_ts: true },
      { attribute: 'temperature', num: 21.5, bool: null, text: null, unit: '°C', device_ts: true },
    ]);
    const dev = (await pool.query("select site, room, device from devices where device_id = 'casa/salon/termo'")).rows[0];
    assert.deepEqual(dev, { site: 'casa', room: 'salon', device: 'termo' });
  });

  it('a redelivered reading with a device timestamp is stored once; receive-timed ones are all kept', async () => {
    const ts = HOUR_AGO + 2 * 60_000;
    await storeBatch(pool, [{ readings: [reading({ ts, attribute: 'dup' })], deadLetters: [] }]);
    const again = await storeBatch(pool, [{ readings: [reading({ ts, attribute: 'dup' })], deadLetters: [] }]);
    assert.deepEqual(again, { stored: 0, duplicates: 1, deadLettered: 0 });
    await storeBatch(pool, [{ readings: [reading({ ts, attribute: 'rx', deviceTs: false }), reading({ ts, attribute: 'rx', deviceTs: false })], deadLetters: [] }]);
    const counts = (await pool.query("select attribute, count(*)::int as n from readings where attribute in ('dup','rx') group by 1 order by 1")).rows;
    assert.deepEqual(counts, [{ attribute: 'dup', n: 1 }, { attribute: 'rx', n: 2 }]);
  });

  it('a poison reading is dead-lettered with the reason and the rest of its batch commits', async () => {
    await pool.query("alter table readings add constraint readings_sane_temperature check (attribute <> 'poison' or num < 1000)");
    try {
      const ts = HOUR_AGO + 3 * 60_000;
      const out = await storeBatch(pool, [
        { readings: [reading({ ts, attribute: 'poison', value: 5 })], deadLetters: [] },
        { readings: [reading({ ts: ts + 1, attribute: 'poison', value: 99999 })], deadLetters: [] },
        { readings: [reading({ ts: ts + 2, attribute: 'poison', value: 7 })], deadLetters: [] },
      ]);
      assert.deepEqual(out, { stored: 2, duplicates: 0, deadLettered: 1 });
      const kept = (await pool.query("select num from readings where attribute = 'poison' order by ts")).rows.map((r) => r.num);
      assert.deepEqual(kept, [5, 7]);
      const dl = (await pool.query("select code, reason, topic, convert_from(payload, 'UTF8') as payload from dead_letters where code = 'store-failed'")).rows;
      assert.equal(dl.length, 1);
      assert.match(dl[0].reason, /readings_sane_temperature/);
      assert.equal(dl[0].topic, 'casa/salon/termo/poison');
      assert.equal(JSON.parse(dl[0].payload).value, 99999);
    } finally {
      await pool.query('alter table readings drop constraint readings_sane_temperature');
    }
  });

  it('rejects from the parser land in dead_letters with topic, raw payload and reason', async () => {
    await storeBatch(pool, [
      {
        readings: [],
        deadLetters: [{ topic: 'a/b', payload: Buffer.from([0xff, 0x00]), code: 'topic-depth', reason: 'topic has 2 levels' }],
      },
    ]);
    const row = (await pool.query("select topic, payload, reason from dead_letters where code = 'topic-depth'")).rows[0];
    assert.deepEqual(row, { topic: 'a/b', payload: Buffer.from([0xff, 0x00]), reason: 'topic has 2 levels' });
  });

  it('an unreachable database makes storeBatch throw (so the batch is retried), not drop', async () => {
    const dead = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    try {
      await assert.rejects(storeBatch(dead, [{ readings: [reading()], deadLetters: [] }]), /ECONNREFUSED|connect/);
    } finally {
      await dead.end();
    }
  });
});

describe('DeviceTouches', () => {
  it('writes a device when new and again only after the refresh interval', () => {
    const t = new DeviceTouches(60_000);
    const r = (deviceId: string, ts: number): Reading => ({ deviceId, site: 's', room: 'r', device: deviceId, attribute: 'a', value: 1, ts, deviceTs: true });
    const first = t.due([r('a', 1000), r('a', 2000), r('b', 1500)]);
    assert.deepEqual(first.map((x) => [x.deviceId, x.ts]).sort(), [['a', 2000], ['b', 1500]]);
    t.markWritten(first);
    assert.deepEqual(t.due([r('a', 30_000), r('b', 40_000)]), []);
    assert.deepEqual(t.due([r('a', 70_000)]).map((x) => x.deviceId), ['a']);
  });
});

describe('a database connection that drops while checked out', () => {
  it('fails the work in hand and does not crash the process', async () => {
    const { Database } = await import('../lib/db/database');
    const { startTcpProxy } = await import('./support/tcp-proxy');
    const { PG_TEST_URL } = await import('./support/env');
    const db = await createTestDatabase();
    const proxy = await startTcpProxy(Number(new URL(PG_TEST_URL).port || 5432));
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const database = new Database({ connectionString: url.toString(), poolSize: 2 });
    const crashes: Error[] = [];
    const onCrash = (err: Error) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    try {
      const pool = await database.ready();
      const client = await pool.connect();
      await client.query('begin');
      proxy.cut(); // the link drops between two queries of a checked-out client
      await new Promise((r) => setTimeout(r, 200));
      await assert.rejects(client.query('select 1'));
      client.release(true);
      assert.deepEqual(crashes, []);
      assert.equal(database.state, 'error');
      proxy.restore();
      assert.equal((await pool.query('select 1 as one')).rows[0].one, 1);
    } finally {
      process.off('uncaughtException', onCrash);
      await database.close();
      await proxy.close();
      await db.drop();
    }
  });
});
