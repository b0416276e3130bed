import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { PG_TEST_URL, waitFor } from './support/env';
import { startMosquitto, type TestBroker } from './support/mosquitto';
import { rssMb, watchNodeStatus } from './support/node-status';
import { expectEveryAckedReadingOnce, SequencePublisher, storedSequence } from './support/sequence-publisher';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

/**
 * Faults under load, with the project's Mosquitto config on a broker of the test's own, the real
 * application (settings + default flow) and a real Postgres. Each check is row by row.
 */
describe('ingest under faults', function () {
  this.timeout(180000);
  let broker: TestBroker;
  let db: TestDatabase;
  let app: RunningApp | undefined;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    broker = await startMosquitto();
    db = await createTestDatabase();
  });
  afterEach(async function () {
    // A failed test shows what the application said: the reason is usually there.
    if (this.currentTest?.state === 'failed' && app) console.log(app.output().split('\n').slice(-60).join('\n'));
    await app?.kill();
    app = undefined;
    await proxy?.close();
    proxy = undefined;
    await broker.stop();
    await db.drop();
  });

  it('Node-RED killed with SIGKILL mid-stream and restarted: every reading stored exactly once', async () => {
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url });
    await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
    const pub = new SequencePublisher(broker.url, `kill-${randomUUID().slice(0, 6)}`);
    await pub.start(1000);
    await new Promise((r) => setTimeout(r, 3000));
    const dataDir = app.dataDir;
    await app.kill();
    await new Promise((r) => setTimeout(r, 1500));
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url }, { dataDir });
    await new Promise((r) => setTimeout(r, 2000));
    await pub.stop();
    assert.ok(pub.acked.size > 3000, `only ${pub.acked.size} published`);
    await expectEveryAckedReadingOnce(db.url, pub);
  });

  it('Postgres link cut for 20 s under load: nothing lost, memory bounded, outage on the status, quick recovery', async () => {
    const pgPort = Number(new URL(PG_TEST_URL).port || 5432);
    proxy = await startTcpProxy(pgPort);
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: viaProxy.toString() });
    const statuses = await watchNodeStatus(app.baseUrl, await app.adminToken());
    try {
      await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
      const pub = new SequencePublisher(broker.url, `cut-${randomUUID().slice(0, 6)}`);
      await pub.start(1000);
      await new Promise((r) => setTimeout(r, 2000));
      const rssBefore = rssMb(app.pid);
      proxy.cut();
      const cutAt = Date.now();
      let peakRss = rssBefore;
      while (Date.now() - cutAt < 20000) {
        peakRss = Math.max(peakRss, rssMb(app.pid));
        await new Promise((r) => setTimeout(r, 250));
      }
      const storedDuringOutage = (await storedSequence(db.url, pub.site)).length;
      proxy.restore();
      const restoredAt = Date.now();
      await waitFor(async () => (await storedSequence(db.url, pub.site)).length > storedDuringOutage, 5000, 'ingest to resume within 5 s');
      const resumeMs = Date.now() - restoredAt;
      await new Promise((r) => setTimeout(r, 2000));
      await pub.stop();
      await expectEveryAckedReadingOnce(db.url, pub, 60000);

      // ~20k messages were offered during the outage; the window keeps them at the broker, not in memory.
      const RSS_GROWTH_BOUND_MB = 150;
      assert.ok(peakRss - rssBefore < RSS_GROWTH_BOUND_MB, `RSS grew ${Math.round(peakRss - rssBefore)} MB during the outage`);
      const outage = statuses.events.filter((e) => e.at > cutAt && e.at < restoredAt);
      assert.ok(outage.some((e) => e.fill === 'red' && /waiting for database/.test(e.text)), 'the store status shows the outage');
      assert.ok(outage.some((e) => e.fill === 'yellow' && /paused: \d+ in flight/.test(e.text)), 'the source status shows it paused');
      assert.ok(resumeMs <= 5000, `resumed after ${resumeMs} ms`);
    } finally {
      statuses.close();
    }
  });

  it('broker restarted under load: nothing lost that the broker had accepted', async () => {
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url });
    await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
    const pub = new SequencePublisher(broker.url, `restart-${randomUUID().slice(0, 6)}`);
    await pub.start(1000);
    await new Promise((r) => setTimeout(r, 3000));
    await broker.restart();
    await new Promise((r) => setTimeout(r, 3000));
    await pub.stop();
    await expectEveryAckedReadingOnce(db.url, pub);
  });

  it('a poison reading in a batch is dead-lettered and the rest of the batch commits', async () => {
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url });
    await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
    const site = `poison-${randomUUID().slice(0, 6)}`;
    const { connectAsync } = await import('mqtt');
    const client = await connectAsync(broker.url);
    try {
      const t = Date.now() - 60_000;
      const publishes = [];
      for (let i = 0; i < 20; i++) {
        // A NUL character is valid UTF-8 and a valid JSON string, but PostgreSQL text cannot hold it.
        const value = i === 7 ? 'bad\u0000value' : `ok-${i}`;
        publishes.push(client.publishAsync(`${site}/r/d/mode`, JSON.stringify({ value, ts: t + i }), { qos: 1 }));
      }
      await Promise.all(publishes);
      const c = new Client({ connectionString: db.url });
      await c.connect();
      try {
        await waitFor(
          async () => Number((await c.query('select count(*) as n from readings where device_id = $1', [`${site}/r/d`])).rows[0].n) === 19,
          15000,
          '19 good readings',
        );
        const dl = (await c.query("select code, reason from dead_letters where topic like $1", [`${site}/%`])).rows;
        assert.equal(dl.length, 1, JSON.stringify(dl));
        assert.match(dl[0].code, /store-failed|value-invalid/);
      } finally {
        await c.end();
      }
    } finally {
      await client.endAsync();
    }
  });
});
