import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Batcher } from '../lib/ingest/6-batcher';
import { migrate } from '../lib/db/migrate';
import type { Reading } from '../lib/model/reading';
import { DEAD_LETTER_PAYLOAD_MAX } from '../lib/ingest/7-dead-letter';
import { isAvailabilityError, storeBatch, type StoreItem } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

function reading(site: string, i: number, over: Partial<Reading> = {}): Reading {
  return {
    deviceId: `${site}/salon/termo`,
    site,
    room: 'salon',
    device: 'termo',
    attribute: 'temperature',
    value: 20 + i,
    ts: Date.now() - 60_000 + i,
    deviceTs: true,
    ...over,
  };
}

/** A message of `site` with one good reading. */
function good(site: string, i: number): StoreItem {
  return { readings: [reading(site, i)], deadLetters: [] };
}

/**
 * Poison that Postgres never sees: building the query throws in the client. A unit that cannot be
 * serialised (a cycle) is the TypeError of a bug upstream; a unit whose JSON is too long is the
 * `Invalid string length` RangeError of the issue (thrown by toJSON here, not with a gigabyte).
 */
function poisonTypeError(site: string): StoreItem {
  const unit: Record<string, unknown> = {};
  unit.self = unit;
  return { topic: `${site}/r/d/temperature`, payload: Buffer.from('{"value":1}'), readings: [reading(site, 500, { unit: unit as unknown as string })], deadLetters: [] };
}

function poisonRangeError(site: string): StoreItem {
  const unit = {
    toJSON() {
      throw new RangeError('Invalid string length');
    },
  };
  return { readings: [reading(site, 501, { unit: unit as unknown as string })], deadLetters: [] };
}

/** A Postgres data error (class 22) raised by the dead-letter insert, which the row fallback does not cover. */
function poisonDataError(site: string): StoreItem {
  return { readings: [], deadLetters: [{ topic: `${site}/r/d\u0000`, payload: Buffer.from('x'), code: 'value-invalid', reason: 'nul in topic' }] };
}

describe('store: poison batches are isolated, not retried forever (real Postgres)', function () {
  this.timeout(60000);
  let db: TestDatabase;
  let pool: Pool;

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 3 });
    await migrate(pool);
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  async function count(sql: string, params: unknown[]): Promise<number> {
    return Number((await pool.query(sql, params)).rows[0].n);
  }

  for (const [name, poison] of [
    ['a TypeError building the query (a cyclic unit)', poisonTypeError],
    ['RangeError: Invalid string length', poisonRangeError],
    ['a Postgres data error (22021) from the dead-letter insert', poisonDataError],
  ] as const) {
    it(`${name}: the poison message is dead-lettered with the reason, the good messages of the batch commit`, async () => {
      const a = `a${randomUUID().slice(0, 8)}`;
      const b = `b${randomUUID().slice(0, 8)}`;
      const items: StoreItem[] = [good(b, 0), good(b, 1), poison(a), good(b, 2), good(b, 3), good(b, 4)];
      const out = await storeBatch(pool, items);
      assert.equal(out.stored, 5);
      assert.equal(out.poison?.messages, 1);
      assert.equal(await count('select count(*) as n from readings where device_id = $1', [`${b}/salon/termo`]), 5);
      const dl = (await pool.query("select topic, code, reason, detail from dead_letters where code = 'store-failed' and topic like $1", [`${a}/%`])).rows;
      assert.equal(dl.length, 1, JSON.stringify(dl));
      assert.match(dl[0].reason, /TypeError|RangeError: Invalid string length|invalid byte sequence|0x00/);
      // the same batch handed over again (a retry) writes nothing twice
      const again = await storeBatch(pool, items);
      assert.equal(again.stored, 0);
      assert.equal(await count("select count(*) as n from dead_letters where topic like $1", [`${a}/%`]), 1);
    });
  }

  it('through the batcher: a poison batch is settled on the first attempt and the next site is stored', async () => {
    const a = `a${randomUUID().slice(0, 8)}`;
    const b = `b${randomUUID().slice(0, 8)}`;
    const failures: string[] = [];
    const batcher = new Batcher<StoreItem>({
      maxItems: 10,
      maxWaitMs: 5,
      flush: async (items) => {
        await storeBatch(pool, items);
      },
      onFlushError: (err, attempt) => failures.push(`attempt ${attempt}: ${err.message}`),
      maxBackoffMs: 50,
    });
    try {
      batcher.add(poisonRangeError(a));
      batcher.add(poisonTypeError(a));
      for (let i = 0; i < 200; i++) batcher.add(good(b, i));
      const drained = batcher.drain();
      const bounded = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 20000).unref());
      assert.equal(await Promise.race([drained.then(() => 'drained' as const), bounded]), 'drained', failures.slice(-3).join('\n'));
      assert.deepEqual(failures, []);
    } finally {
      batcher.close();
    }
    assert.equal(await count('select count(*) as n from readings where device_id = $1', [`${b}/salon/termo`]), 200);
    assert.equal(await count('select count(*) as n from dead_letters where topic like $1', [`${a}/%`]), 2);
  });

  it('a message carrying hundreds of dead letters with its large payload each is written as one bounded row', async () => {
    const a = `a${randomUUID().slice(0, 8)}`;
    const payload = Buffer.alloc(65_000, 0x20);
    const deadLetters = Array.from({ length: 700 }, (_, i) => ({ topic: `${a}/r/d`, payload, code: 'attribute-invalid' as const, reason: `key ${i} refused`, detail: { attribute: `/k${i}` } }));
    const out = await storeBatch(pool, [{ readings: [], deadLetters }, good(a, 1)]);
    assert.equal(out.stored, 1);
    const rows = (await pool.query('select length(payload) as bytes, reason, detail from dead_letters where topic = $1', [`${a}/r/d`])).rows;
    assert.equal(rows.length, 1);
    assert.ok(rows[0].bytes <= DEAD_LETTER_PAYLOAD_MAX);
    assert.equal(rows[0].detail.payloadBytes, 65_000);
    assert.equal(rows[0].detail.rejectCount, 700);
    assert.match(rows[0].reason, /and \d+ more/);
  });

  it('tells availability (retry) from poison (isolate)', () => {
    const code = (c: string) => Object.assign(new Error(c), { code: c });
    for (const e of [code('57P01'), code('57P03'), code('08006'), code('08001'), code('53300'), code('40P01'), code('ECONNREFUSED'), code('ECONNRESET'), code('ETIMEDOUT'), new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'), new Error('Client has encountered a connection error and is not queryable')]) {
      assert.equal(isAvailabilityError(e), true, e.message);
    }
    for (const e of [new RangeError('Invalid string length'), new TypeError('Converting circular structure to JSON'), code('22021'), code('23505'), code('54000'), new Error('something else')]) {
      assert.equal(isAvailabilityError(e), false, e.message);
    }
  });
});
