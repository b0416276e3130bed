import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { mosquittoProcess, startMosquitto, type HouseCredentials, type MosquittoProcess, type TestBroker } from './support/mosquitto';
import { recorder } from './support/mqtt-probe';
import { freePort } from './support/ports';

const HUB_CONFIG = resolve(__dirname, '..', 'scripts', 'hub-config.js');

async function storedValues(dbUrl: string, deviceId: string): Promise<number[]> {
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const res = await c.query('select num from readings where device_id = $1 order by num', [deviceId]);
    return res.rows.map((r: { num: number }) => r.num);
  } finally {
    await c.end();
  }
}

/**
 * Hub per house: a hub Mosquitto with the config `npm run hub:config` writes, bridged over TLS to
 * a central Mosquitto running the project's config (users, ACL, TLS with a test CA), and the real
 * app on the central broker with a test database.
 */
describe('hub per house: hub Mosquitto bridged to the central broker', function () {
  this.timeout(120000);
  const site = `hub${randomUUID().slice(0, 6)}`;
  let central: TestBroker;
  let house: HouseCredentials;
  let db: TestDatabase;
  let app: RunningApp;
  let hub: MosquittoProcess;
  let hubUrl: string;
  let device: MqttClient;

  before(async () => {
    central = await startMosquitto();
    house = await central.house(site);
    db = await createTestDatabase();
    // The app logs in over TLS with MQTT_USERNAME / MQTT_PASSWORD and the CA in MQTT_CA_FILE
    // (the other broker tests give it the credentials in MQTT_URL).
    app = await startApp({
      MQTT_URL: `mqtts://localhost:${central.tlsPort}`,
      MQTT_USERNAME: central.ingest.username,
      MQTT_PASSWORD: central.ingest.password,
      MQTT_CA_FILE: central.ca.caCert,
      DATABASE_URL: db.url,
    });
    await waitFor(() => /connected to mqtts:\/\/localhost/.test(app.output()), 15000, 'the app to log in to the central broker over TLS');
    assert.doesNotMatch(app.output(), new RegExp(central.ingest.password), 'no password in the log');

    const dir = mkdtempSync(join(tmpdir(), 'octopus-hub-'));
    const passwordFile = join(dir, 'hub-password');
    writeFileSync(passwordFile, `${house.hub.password}\n`, { mode: 0o600 });
    const localPort = await freePort();
    const confPath = join(dir, 'hub.conf');
    await promisify(execFile)(process.execPath, [
      HUB_CONFIG,
      '--site', site,
      '--central', `127.0.0.1:${central.tlsPort}`,
      '--password-file', passwordFile,
      '--ca-file', central.ca.caCert,
      '--local-port', String(localPort),
      '--local-bind', '127.0.0.1',
      '--persistence-dir', `${dir}/`,
      '--restart-timeout', '1,2',
      '--out', confPath,
    ]);
    assert.equal(statSync(confPath).mode & 0o777, 0o600);
    // Started as root here: Mosquitto would drop to its own user, which cannot write the test's directory.
    writeFileSync(confPath, `user root\n${readFileSync(confPath, 'utf8')}`, { mode: 0o600 });
    hubUrl = `mqtt://127.0.0.1:${localPort}`;
    hub = mosquittoProcess(confPath, async () => {
      const c = await connectAsync(hubUrl, { reconnectPeriod: 0, connectTimeout: 1000 });
      await c.endAsync();
    });
    await hub.start();
    await waitFor(() => central.output().includes(`as ${site}-hub`), 15000, 'the hub to log in to the central broker');
    device = await connectAsync(hubUrl, { clientId: `${site}-thermo`, clean: false, reconnectPeriod: 500 });
  });

  after(async () => {
    await device?.endAsync();
    await hub?.stop();
    await app?.stop();
    await central?.stop();
    await db?.drop();
  });

  it('stores centrally, below the house site, a reading published on the hub', async () => {
    await device.publishAsync('salon/t1/temperature', JSON.stringify({ value: 1, ts: Date.now() }), { qos: 1 });
    await waitFor(async () => (await storedValues(db.url, `${site}/salon/t1`)).includes(1), 20000, 'the reading in Postgres');
  });

  it("brings a command sent centrally by Node-RED's user down to the hub's device, without the prefix", async () => {
    const lamp = await recorder(hubUrl, { clientId: `${site}-lamp` }, ['salon/lamp/on/set']);
    try {
      const node = await connectAsync(central.url, { clientId: `hub-test-node-red-${randomUUID().slice(0, 6)}` });
      await node.publishAsync(`${site}/salon/lamp/on/set`, 'true', { qos: 1 });
      await node.endAsync();
      await waitFor(() => lamp.seen.length > 0, 20000, 'the command at the lamp');
      assert.deepEqual(lamp.seen, [{ topic: 'salon/lamp/on/set', payload: 'true' }]);
    } finally {
      await lamp.client.endAsync();
    }
  });

  it("does not let the house's devices send commands through the hub: the central ACL drops them", async () => {
    const watcher = await recorder(central.url, { clientId: `hub-test-watch-${randomUUID().slice(0, 6)}` }, [`${site}/#`]);
    try {
      // An Octopus command shape stays in the house (not bridged); firmware ones go up and are refused
      // there (Mosquitto 2.0.11 acknowledges, drops, and closes the uplink, which reconnects with its queue).
      await device.publishAsync('salon/lamp/on/set', 'forged', { qos: 1 });
      await device.publishAsync('cmnd/lamp/POWER', 'ON', { qos: 1 });
      await device.publishAsync('zigbee2mqtt/lamp/set', '{"state":"ON"}', { qos: 1 });
      await device.publishAsync('salon/t3/temperature', JSON.stringify({ value: 3, ts: Date.now() }), { qos: 1 });
      await waitFor(() => watcher.topics().includes(`${site}/salon/t3/temperature`), 20000, 'the reading after the forged command');
      // Both went up the one bridge connection in order: the command, refused centrally, never arrived.
      assert.deepEqual(watcher.topics(), [`${site}/salon/t3/temperature`]);
    } finally {
      await watcher.client.endAsync();
    }
  });

  it('keeps a command sent while the hub is offline and delivers it to the device when the hub is back', async () => {
    // The lamp keeps a persistent session on the hub; the hub keeps one (its bridge) on the central broker.
    const lamp = await recorder(hubUrl, { clientId: `${site}-lamp2`, clean: false, reconnectPeriod: 300 }, ['salon/lamp2/on/set']);
    try {
      await hub.stop();
      const node = await connectAsync(central.url, { clientId: `hub-test-node-red-${randomUUID().slice(0, 6)}` });
      await node.publishAsync(`${site}/salon/lamp2/on/set`, 'false', { qos: 1 });
      await node.endAsync();
      assert.deepEqual(lamp.seen, []);
      await hub.start();
      await waitFor(() => lamp.seen.length > 0, 30000, 'the command queued centrally to reach the lamp');
      assert.deepEqual(lamp.seen, [{ topic: 'salon/lamp2/on/set', payload: 'false' }]);
    } finally {
      lamp.client.end(true);
    }
  });

  it('keeps every reading published while the central broker is down and delivers it when it is back', async () => {
    await central.stop();
    const values = Array.from({ length: 30 }, (_, i) => 100 + i);
    const t0 = Date.now();
    // The hub acknowledges each one: it has them, queued for the uplink.
    for (const v of values) await device.publishAsync('salon/t2/temperature', JSON.stringify({ value: v, ts: t0 + v }), { qos: 1 });
    assert.deepEqual(await storedValues(db.url, `${site}/salon/t2`), [], 'nothing can have arrived with the central broker down');
    await central.restart();
    await waitFor(async () => (await storedValues(db.url, `${site}/salon/t2`)).length >= values.length, 60000, 'all 30 readings in Postgres after the outage');
    assert.deepEqual(await storedValues(db.url, `${site}/salon/t2`), values);
  });
});
