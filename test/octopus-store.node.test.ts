import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { NodeAPI } from 'node-red';
import { Client } from 'pg';
import { createMessageAck } from '../lib/ingest/3-message-ack';
import type { Reading } from '../lib/model/reading';
import { createTestDatabase, type TestDatabase } from './support/database';
import { octopusRuntime } from '../nodes/octopus-runtime';
import { waitFor } from './support/env';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const postgresNode = require('../nodes/octopus-postgres/octopus-postgres');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storeModule = require('../nodes/octopus-store/octopus-store') as (RED: NodeAPI) => void;
/** The RED of the latest helper.load(): its Octopus runtime holds the metrics. */
let red: NodeAPI | undefined;
const storeNode = (RED: NodeAPI) => {
  red = RED;
  storeModule(RED);
};

helper.init(require.resolve('node-red'));

interface TestNode {
  status: (s: { text?: string; fill?: string }) => void;
  receive: (msg: object) => void;
}

function reading(value: number, ts: number): Reading {
  return { deviceId: 'h/r/d', site: 'h', room: 'r', device: 'd', attribute: 'temp', value, ts, deviceTs: true };
}

function flow() {
  return [
    { id: 'db', type: 'octopus-postgres', name: 'test database', poolSize: 2 },
    { id: 'store', type: 'octopus-store', database: 'db', batchSize: 100, batchWaitMs: 20, wires: [] },
  ];
}

/** Records every status the node sets, so a test can wait for one. */
function recordStatuses(node: TestNode): string[] {
  const seen: string[] = [];
  const original = node.status.bind(node);
  node.status = (s) => {
    seen.push(`${s.fill}:${s.text}`);
    original(s);
  };
  return seen;
}

describe('octopus-store node (Node-RED runtime, real Postgres)', function () {
  this.timeout(30000);
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function query<T>(sql: string): Promise<T[]> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as T[];
    } finally {
      await c.end();
    }
  }

  it('commits readings, then releases the broker ack', async () => {
    await helper.load([postgresNode, storeNode], flow(), { db: { connectionString: db.url } });
    const store = helper.getNode('store') as unknown as TestNode;
    let acked = 0;
    const ack = createMessageAck(() => acked++);
    const t = Date.now() - 60_000;
    store.receive({ topic: 'h/r/d', payload: [reading(1, t), reading(2, t + 1)], octopusAck: ack });
    await waitFor(() => acked === 1, 10000, 'the ack');
    const rows = await query<{ n: number }>("select count(*)::int as n from readings where device_id = 'h/r/d'");
    assert.equal(rows[0].n, 2);
  });

  it('dead-letters what is not a reading instead of dropping it, and still acks', async () => {
    await helper.load([postgresNode, storeNode], flow(), { db: { connectionString: db.url } });
    const store = helper.getNode('store') as unknown as TestNode;
    let acked = 0;
    store.receive({ topic: 'x/y', payload: { hello: 'world' }, octopusAck: createMessageAck(() => acked++) });
    store.receive({
      topic: 'x/y/z/w',
      payload: Buffer.from('bad'),
      rejects: [{ code: 'payload-invalid-json', reason: 'broken' }],
      octopusAck: createMessageAck(() => acked++),
    });
    await waitFor(() => acked === 2, 10000, 'both acks');
    const rows = await query<{ code: string; reason: string }>("select code, reason from dead_letters where topic like 'x/y%' order by id");
    assert.equal(rows.length, 2);
    assert.equal(rows[0].code, 'value-invalid');
    assert.match(rows[0].reason, /not a reading: reading.deviceId/);
    assert.deepEqual(rows[1], { code: 'payload-invalid-json', reason: 'broken' });
  });

  it('sets apart a message the database cannot take: dead-lettered and acked, the others stored, yellow status and /metrics', async () => {
    await helper.load([postgresNode, storeNode], flow(), { db: { connectionString: db.url } });
    const store = helper.getNode('store') as unknown as TestNode;
    const statuses = recordStatuses(store);
    let acked = 0;
    const t = Date.now() - 60_000;
    // A NUL in the topic (a function node made it): Postgres text refuses it (22021), in dead_letters.
    store.receive({ topic: 'p/q/r\u0000', payload: Buffer.from('x'), rejects: [{ code: 'topic-invalid-char', reason: 'nul' }], octopusAck: createMessageAck(() => acked++) });
    store.receive({ topic: 'h/r/d', payload: [reading(3, t + 10), reading(4, t + 11)], octopusAck: createMessageAck(() => acked++) });
    await waitFor(() => acked === 2, 10000, 'both acks');
    const rows = await query<{ n: number }>("select count(*)::int as n from readings where device_id = 'h/r/d' and num in (3, 4)");
    assert.equal(rows[0].n, 2);
    const dl = await query<{ code: string; topic: string }>("select code, topic from dead_letters where topic like 'p/q/r%'");
    assert.deepEqual(dl, [{ code: 'store-failed', topic: 'p/q/r\ufffd' }]);
    await waitFor(() => statuses.some((s) => /^yellow:\d+ stored · 1 dead-lettered · 1 could not be written \(last: /.test(s)), 5000, 'the yellow status');
    const { registry } = octopusRuntime(red as NodeAPI).metrics;
    const metrics = await registry.metrics();
    assert.match(metrics, /^octopus_store_poison_messages_total [1-9]/m);
    assert.match(metrics, /^octopus_store_poison_batches_total [1-9]/m);
  });

  it('shows a database outage on its status and keeps the message unacked, without crashing', async () => {
    await helper.load([postgresNode, storeNode], flow(), { db: { connectionString: 'postgres://postgres@127.0.0.1:1/none' } });
    const store = helper.getNode('store') as unknown as TestNode;
    const statuses = recordStatuses(store);
    let acked = 0;
    store.receive({ topic: 'h/r/d', payload: [reading(1, Date.now())], octopusAck: createMessageAck(() => acked++) });
    await waitFor(() => statuses.some((s) => /^red:waiting for database: .*ECONNREFUSED.*1 queued/.test(s)), 10000, 'the outage status');
    assert.equal(acked, 0);
  });

  it('logs a clear error when no database is configured', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      await helper.load([postgresNode, storeNode], flow(), {});
      const logged = helper
        .log()
        .args.map((a: Array<{ msg?: unknown }>) => a[0]?.msg)
        .filter((m: unknown): m is string => typeof m === 'string');
      assert.ok(
        logged.some((m: string) => /octopus-postgres: no database configured: set the connection string or DATABASE_URL/.test(m)),
        logged.join('\n'),
      );
      assert.ok(logged.some((m: string) => /octopus-store: no database configured/.test(m)), logged.join('\n'));
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });
});
