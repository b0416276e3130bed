/**
 * Issue #15, houses and bounds, end to end with the real application (default flow, real broker
 * and Postgres): a house flooding 3 000 unique topics, some with long levels, is capped at the
 * default 2 000 devices per site (registry and tables), every refused message is dead-lettered
 * with its reason code and counted on /metrics, while another house's 200 readings are all stored;
 * and a house's firmware topic `<house>/plug/tele/SENSOR` makes its device under that house, not
 * under the default site `home`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { startApp, type RunningApp } from './support/app';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';

const CAP = 2000;
const UNIQUE = 2600;
const LONG = 400;

describe('house bounds end to end (issue #15)', function () {
  this.timeout(240000);
  let db: TestDatabase;
  let app: RunningApp | undefined;
  let mqtt: MqttClient;
  const tag = randomUUID().slice(0, 8);
  const flood = `flood${tag}`;
  const calm = `calm${tag}`;
  const metricsToken = randomUUID();

  before(async () => {
    db = await createTestDatabase();
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `bounds-pub-${randomUUID()}` });
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url, OCTOPUS_METRICS_TOKEN: metricsToken });
    await waitFor(() => /connected to mqtt/.test(app!.output()), 20000, 'the source to connect');
  });
  after(async () => {
    await app?.stop();
    await mqtt?.endAsync();
    await db?.drop();
  });

  const count = (sql: string, params: unknown[]) => countRows(db.url, sql, params);

  it('a flooding house is capped (devices ≤ cap, rejects dead-lettered by code); the other house is all stored', async () => {
    const messages: Array<[string, string]> = [];
    for (let i = 0; i < UNIQUE; i++) {
      messages.push([`${flood}/r/dev${i}/t`, String(i)]);
      if (i < LONG) messages.push([`${flood}/r/${'x'.repeat(300)}${i}/t`, '1']);
      // one reading per device and attribute: readings without a device time that share a receive time are one reading
      if (i % 13 === 0) messages.push([`${calm}/r/dev${(i / 13) % 20}/a${Math.floor(i / 13 / 20)}`, String(i)]);
    }
    // Every message ends as exactly one row: a reading or a dead letter. Published in chunks, each
    // waited for, so that the broker's queue for the app (1 000 messages on Mosquitto) never overflows.
    const rows = async () =>
      (await count('select count(*) as n from readings where device_id like $1 or device_id like $2', [`${flood}/%`, `${calm}/%`])) +
      (await count('select count(*) as n from dead_letters where topic like $1', [`${flood}/%`]));
    const CHUNK = 400;
    for (let at = 0; at < messages.length; at += CHUNK) {
      const chunk = messages.slice(at, at + CHUNK);
      await Promise.all(chunk.map(([topic, payload]) => mqtt.publishAsync(topic, payload, { qos: 1 })));
      const expected = at + chunk.length;
      await waitFor(async () => (await rows()) === expected, 60000, `${expected} messages stored or dead-lettered`);
    }

    await waitFor(async () => (await count("select count(*) as n from readings where device_id like $1", [`${calm}/%`])) === 200, 120000, "the other house's 200 readings");
    await waitFor(
      async () => (await count('select count(*) as n from dead_letters where topic like $1', [`${flood}/%`])) === UNIQUE - CAP + LONG,
      120000,
      'every refused message dead-lettered',
    );
    assert.equal(await count("select count(*) as n from dead_letters where topic like $1 and code = 'device-limit'", [`${flood}/%`]), UNIQUE - CAP);
    assert.equal(await count("select count(*) as n from dead_letters where topic like $1 and code = 'topic-level-too-long'", [`${flood}/%`]), LONG);
    assert.equal(await count('select count(distinct device_id) as n from readings where device_id like $1', [`${flood}/%`]), CAP);
    // the registry saves every 2 s: wait for it, then it holds no more than the cap
    await waitFor(async () => (await count('select count(*) as n from devices where site = $1', [flood])) === CAP, 30000, 'the registry to save the house');
    assert.ok((await count('select count(*) as n from devices where site = $1', [flood])) <= CAP);
    assert.equal(await count('select count(*) as n from devices where site = $1', [calm]), 20);

    const metrics = await (await fetch(`${app!.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } })).text();
    const counter = (code: string) => Number(new RegExp(`^octopus_messages_rejected_total\\{[^}]*code="${code}"[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    assert.ok(counter('device-limit') >= UNIQUE - CAP, `device-limit on /metrics: ${counter('device-limit')}`);
    assert.ok(counter('topic-level-too-long') >= LONG, `topic-level-too-long on /metrics: ${counter('topic-level-too-long')}`);
  });

  it("a house's firmware topic <house>/plug/tele/SENSOR makes its device under that house, not home", async () => {
    const house = `casa${tag}`;
    await mqtt.publishAsync(`${house}/plug/tele/SENSOR`, JSON.stringify({ ENERGY: { Power: 42 } }), { qos: 1 });
    const id = `tasmota:${house}/plug`;
    await waitFor(async () => (await count('select count(*) as n from readings where device_id = $1', [id])) === 1, 30000, 'the reading stored');
    await waitFor(async () => (await count('select count(*) as n from devices where device_id = $1', [id])) === 1, 30000, 'the device registered');
    assert.equal(await count('select count(*) as n from devices where device_id = $1 and site = $2', [id, house]), 1);
    // Scoped to this house's names: other tests' firmware traffic on the shared broker may file devices under home.
    assert.equal(await count("select count(*) as n from devices where site = 'home' and device_id like $1", [`%${house}%`]), 0, 'nothing of this house under the default site');
  });
});
