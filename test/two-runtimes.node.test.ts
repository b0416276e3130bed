import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { login, type Session } from './support/auth';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { startNodeRed, type NodeRedInstance } from './support/node-red-instance';

/** One house's flow: ingest into its own database and registry, a dashboard on that registry. */
function houseFlow(site: string) {
  return [
    { id: 'tab', type: 'tab', label: site },
    { id: 'broker', type: 'octopus-broker', name: 'house broker', url: MQTT_TEST_URL, clientId: `two-${site}` },
    { id: 'pg', type: 'octopus-postgres', name: 'house database', poolSize: 2 },
    { id: 'registry', type: 'octopus-registry', name: 'house registry', database: 'pg', broker: 'broker', commandTimeoutS: 5, staleAfterIntervals: 3, offlineAfterIntervals: 10, defaultIntervalS: 300 },
    { id: 'in', z: 'tab', type: 'octopus-mqtt-in', broker: 'broker', topics: `${site}/+/+/+`, qos: 1, ackMode: 'after-store', maxInFlight: 100, wires: [['parse']] },
    { id: 'parse', z: 'tab', type: 'octopus-parse', wires: [['store', 'devices', 'dashboard'], ['store'], ['devices']] },
    { id: 'store', z: 'tab', type: 'octopus-store', database: 'pg', batchSize: 100, batchWaitMs: 20, wires: [] },
    { id: 'devices', z: 'tab', type: 'octopus-devices', registry: 'registry', wires: [] },
    { id: 'dashboard', z: 'tab', type: 'octopus-dashboard', path: '/ui', registry: 'registry', wires: [] },
  ];
}

/**
 * Two Node-RED runtimes in one process, each with its own registry (own database, own devices):
 * the pack's shared state lives in one OctopusRuntime per Node-RED instance, so each instance's
 * /api/v1/devices and /ui serve its own devices and sign in against its own users.
 */
describe('two Node-RED runtimes in one process', function () {
  this.timeout(60000);
  const run = randomUUID().slice(0, 8);
  const houses = [`north${run}`, `south${run}`];
  const operator = { username: 'two-runtimes-operator', password: randomBytes(18).toString('base64url') };
  const saved = { user: process.env.OCTOPUS_ADMIN_USER, password: process.env.OCTOPUS_ADMIN_PASSWORD };
  const dbs: TestDatabase[] = [];
  const instances: NodeRedInstance[] = [];
  let mqtt: MqttClient;

  before(async () => {
    // Each runtime bootstraps this operator in its own user store.
    process.env.OCTOPUS_ADMIN_USER = operator.username;
    process.env.OCTOPUS_ADMIN_PASSWORD = operator.password;
    dbs.push(...(await Promise.all(houses.map(() => createTestDatabase('octopus_two_runtimes')))));
    for (const [i, site] of houses.entries()) instances.push(await startNodeRed(houseFlow(site), { pg: { connectionString: dbs[i].url } }));
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `two-runtimes-${run}` });
  });

  after(async () => {
    await mqtt?.endAsync();
    for (const instance of instances) await instance.stop();
    await Promise.all(dbs.map((db) => db.drop()));
    for (const [k, v] of [['OCTOPUS_ADMIN_USER', saved.user], ['OCTOPUS_ADMIN_PASSWORD', saved.password]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("each serves its own registry on /api/v1/devices and /ui, and signs in against its own user store", async () => {
    const sessions: Session[] = [];
    for (const instance of instances) {
      await waitFor(async () => (await fetch(`${instance.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(operator) })).status === 200, 20000, 'the operator');
      sessions.push(await login(instance.baseUrl, operator.username, operator.password));
    }
    await mqtt.publishAsync(`${houses[0]}/kitchen/fridge/temperature`, '4.5', { qos: 1 });
    await mqtt.publishAsync(`${houses[1]}/garage/meter/energy`, '1234', { qos: 1 });

    const devicesOf = async (s: Session) => ((await s.json('GET', '/api/v1/devices')).body as { items: { deviceId: string }[] }).items.map((d) => d.deviceId);
    await waitFor(async () => (await Promise.all(sessions.map(devicesOf))).every((ids) => ids.length === 1), 20000, 'a device in each registry');
    assert.deepEqual(await devicesOf(sessions[0]), [`${houses[0]}/kitchen/fridge`]);
    assert.deepEqual(await devicesOf(sessions[1]), [`${houses[1]}/garage/meter`]);

    // The dashboards: each shows its own house's device.
    for (const [i, s] of sessions.entries()) {
      const state = await s.json('GET', '/ui/api/state');
      assert.equal(state.status, 200);
      assert.deepEqual((state.body as { devices: { deviceId: string }[] }).devices.map((d) => d.deviceId), [`${houses[i] as string}/${i === 0 ? 'kitchen/fridge' : 'garage/meter'}`]);
    }
    // A session of one runtime means nothing to the other (separate user stores).
    const foreign = await fetch(`${instances[1].baseUrl}/api/v1/devices`, { headers: { Cookie: sessions[0].cookie } });
    assert.equal(foreign.status, 401);
  });
});
