import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { startApp, type RunningApp } from './support/app';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { keyFlood } from './support/hostile-payloads';

/**
 * Issue #15: one message of one house must not stop ingest for every house. The real application
 * (npm start's settings and default flow) on the real broker and Postgres.
 */
describe('a poison message in the real application', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let app: RunningApp | undefined;
  let mqtt: MqttClient;

  before(async () => {
    db = await createTestDatabase();
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `poison-pub-${randomUUID()}` });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && app) console.log(app.output().split('\n').slice(-40).join('\n'));
  });
  after(async () => {
    await app?.kill();
    await mqtt.endAsync();
    await db.drop();
  });

  it('a 65 KB message of 7 000 invalid keys is one dead letter, and another site\'s 200 readings are all stored', async () => {
    const metricsToken = randomUUID();
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url, OCTOPUS_METRICS_TOKEN: metricsToken });
    await waitFor(() => /connected to mqtt/.test(app!.output()), 15000, 'the source to connect');
    const siteA = `pa${randomUUID().slice(0, 8)}`;
    const siteB = `pb${randomUUID().slice(0, 8)}`;
    const flood = keyFlood(7000);
    assert.ok(flood.length > 60_000 && flood.length < 64 * 1024);

    await mqtt.publishAsync(`${siteA}/r/d`, flood, { qos: 1 });
    // A minute ago, one reading a second: today's partition, whatever day the test runs.
    const base = Date.now() - 60_000;
    const publishes = [];
    for (let i = 0; i < 200; i++) {
      publishes.push(mqtt.publishAsync(`${siteB}/salon/termo/temperature`, JSON.stringify({ value: i, ts: base + i * 100 }), { qos: 1 }));
    }
    await Promise.all(publishes);

    await waitFor(
      async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${siteB}/salon/termo`])) === 200,
      30000,
      "site B's 200 readings in Postgres",
    );
    await waitFor(async () => (await countRows(db.url, 'select count(*) as n from dead_letters where topic = $1', [`${siteA}/r/d`])) >= 1, 10000, "site A's dead letter");
    const rows = await countRows(db.url, 'select count(*) as n from dead_letters where topic like $1', [`${siteA}/%`]);
    assert.equal(rows, 1, 'one dead letter for the one refused message');
    assert.equal(
      await countRows(db.url, "select count(*) as n from dead_letters where topic = $1 and length(payload) <= 8192 and (detail->>'payloadBytes')::int = $2 and reason ~ 'and [0-9]+ more'", [`${siteA}/r/d`, flood.length]),
      1,
      'the dead letter holds a capped payload, its size and the summarised reasons',
    );
    assert.doesNotMatch(app.output(), /Invalid string length/);

    // The operator sees it on /metrics: dead letters, and every refused value counted by code (the
    // broker is shared with other tests: at least these).
    const metrics = await (await fetch(`${app.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } })).text();
    const metric = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
    assert.ok(metric(/^octopus_dead_letters_total (\d+)$/m) >= 1, metrics);
    assert.ok(metric(/^octopus_messages_rejected_total\{code="attribute-invalid"\} (\d+)$/m) >= 7000, metrics);
  });
});
