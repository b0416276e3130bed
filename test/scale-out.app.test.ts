import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';
import { startMosquitto, type TestBroker } from './support/mosquitto';
import { compareSequences, SequencePublisher } from './support/sequence-publisher';

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('scale-out and operations', function () {
  this.timeout(120000);
  let broker: TestBroker;
  let db: TestDatabase;
  const apps: RunningApp[] = [];

  before(async () => {
    broker = await startMosquitto();
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await broker.stop();
    await db.drop();
  });

  it('two Node-RED instances on one $share group ingest one stream with 0 lost and 0 duplicated', async () => {
    for (let i = 0; i < 2; i++) {
      const dataDir = dataDirWithDefaultFlow((nodes) => {
        nodeOfType(nodes, 'octopus-mqtt-in').sharedGroup = 'octopus-ingest';
      });
      apps.push(await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url }, { dataDir }));
    }
    // With the broker's password the group name carries a tag no house can know (the same on both instances).
    const tagged = /subscribed to \$share\/(octopus-ingest-[0-9a-f]{16})\//;
    for (const app of apps) await waitFor(() => tagged.test(app.output()), 10000, 'shared subscription');
    assert.equal(tagged.exec(apps[0].output())?.[1], tagged.exec(apps[1].output())?.[1], 'one group for both instances');
    const pub = new SequencePublisher(broker.url, `share-${randomUUID().slice(0, 6)}`);
    await pub.start(1000);
    await new Promise((r) => setTimeout(r, 5000));
    await pub.stop();

    const c = new Client({ connectionString: db.url });
    await c.connect();
    let result = { lost: [0], duplicated: [0] };
    try {
      await waitFor(
        async () => {
          const rows = await c.query("select num from readings where attribute = 'seq' and device_id like $1", [`${pub.site}/%`]);
          result = compareSequences(pub.acked, rows.rows.map((r: { num: number }) => r.num));
          return result.lost.length === 0;
        },
        20000,
        'every reading stored',
      ).catch(() => undefined);
    } finally {
      await c.end();
    }
    assert.ok(pub.acked.size >= 4000, `only ${pub.acked.size} published`);
    assert.equal(result.lost.length, 0, 'lost');
    assert.equal(result.duplicated.length, 0, 'duplicated');
    // Both instances took a share of the stream.
    // /metrics answers an operator's session (no OCTOPUS_METRICS_TOKEN is set here).
    const received = await Promise.all(apps.map(async (a) => metric(await (await (await a.login()).fetch('/metrics')).text(), 'octopus_messages_received_total')));
    assert.ok(received.every((n) => n > 500), `received per instance: ${received.join(', ')}`);
    assert.equal(received[0] + received[1] >= pub.acked.size, true);
  });

  it('/metrics serves the ingest counters in Prometheus text format, to an operator only', async () => {
    assert.equal((await fetch(`${apps[0].baseUrl}/metrics`)).status, 401, 'anonymous, without OCTOPUS_METRICS_TOKEN set: refused all the same');
    const res = await (await apps[0].login()).fetch('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      'octopus_messages_received_total',
      'octopus_messages_parsed_total',
      'octopus_readings_committed_total',
      'octopus_dead_letters_total',
      'octopus_messages_in_flight',
      'octopus_oldest_unacked_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), name);
      assert.ok(Number.isFinite(metric(text, name)), `${name} has a value`);
    }
    assert.ok(metric(text, 'octopus_readings_committed_total') > 0);
    assert.match(text, /^octopus_store_batch_size_bucket\{le="1000"\} \d+$/m);
    assert.match(text, /^octopus_store_commit_duration_seconds_count \d+$/m);
    assert.match(text, /^# TYPE octopus_messages_rejected_total counter$/m);
  });
});
