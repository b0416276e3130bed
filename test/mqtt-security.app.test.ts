import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { IClientOptions } from 'mqtt';
import { Client } from 'pg';
import { createBrokerAuth } from '../lib/mqtt-auth/broker-auth';
import { planUsers } from '../lib/mqtt-auth/user-plan';
import { startEmbeddedBroker, type EmbeddedBroker } from '../scripts/embedded/mqtt-broker';
import { embeddedPostgresUrl } from '../scripts/embedded/postgres';
import { startApp, type RunningApp } from './support/app';
import { waitFor } from './support/env';
import { startMosquitto, type Credentials, type TestBroker } from './support/mosquitto';
import { attemptPublish, connects, recorder } from './support/mqtt-probe';
import { freePort } from './support/ports';

const SIMULATE = resolve(__dirname, '..', 'scripts', 'simulate.js');

/** A broker under test, whichever it is: where to connect and who may. */
interface Target {
  url: string;
  ingest: Credentials;
  casa1: { devices: Credentials; hub: Credentials };
  casa2: { devices: Credentials; hub: Credentials };
}

// Client ids carry the user's name: the embedded broker ties them to users (a house uses only its own).
const opts = (c: Credentials, id = randomUUID().slice(0, 8)): IClientOptions => ({ username: c.username, password: c.password, clientId: `${c.username}-sec-${id}` });

/** The same attack list against Mosquitto (project config) and the embedded aedes broker. */
function houseRules(target: () => Target) {
  it('refuses anonymous clients, unknown users and wrong passwords', async () => {
    const t = target();
    const anonymous = await connects(t.url);
    assert.equal(anonymous.ok, false);
    assert.match(anonymous.error ?? '', /Not authorized|Bad username or password/i);
    assert.equal((await connects(t.url, { username: 'nobody', password: 'x' })).ok, false);
    assert.equal((await connects(t.url, { username: t.casa1.devices.username, password: `${t.casa1.devices.password}x` })).ok, false);
    assert.equal((await connects(t.url, { username: t.casa1.devices.username })).ok, false);
    assert.equal((await connects(t.url, opts(t.casa1.devices))).ok, true);
  });

  it("a house's device cannot publish to another house, nor any command; its own readings arrive", async () => {
    const t = target();
    const central = await recorder(t.url, opts(t.ingest), ['#']);
    const house2 = await recorder(t.url, opts(t.casa2.devices), ['casa2/#']);
    try {
      const forbidden = [
        'casa2/salon/t1/temperature', // another house
        'casa1/salon/lamp/on/set', // an Octopus command to its own house
        'casa2/salon/lamp/on/set',
        'cmnd/lamp/POWER', // firmware commands as the app sends them
        'zigbee2mqtt/lamp/set',
        'shellies/lamp/relay/0/command',
        'casa1/cmnd/lamp/POWER', // and below its own site
        'casa1/zigbee2mqtt/lamp/set',
        'octopus/alerts/casa1', // Node-RED's own topics
      ];
      for (const topic of forbidden) await attemptPublish(t.url, opts(t.casa1.devices), topic, 'forged');
      const own = 'casa1/salon/t1/temperature';
      assert.equal(await attemptPublish(t.url, opts(t.casa1.devices), own, '21.5'), 'acked');
      await waitFor(() => central.topics().includes(own), 10000, 'its own reading at the ingest subscriber');
      // Everything forbidden was published before the reading, by the same house: had any been let
      // through it would have reached the ingest subscriber (which reads everything) first.
      assert.deepEqual(central.topics(), [own]);
      assert.deepEqual(house2.topics(), []);
    } finally {
      await central.client.endAsync();
      await house2.client.endAsync();
    }
  });

  it("a house's device cannot read another house's topics (even subscribed to #), but reads its own commands", async () => {
    const t = target();
    // Mosquitto grants these subscriptions and filters per message; aedes refuses `casa2/#` outright.
    const spy = await recorder(t.url, opts(t.casa1.devices), ['#', 'casa2/#', '+/salon/#']);
    assert.ok(!spy.refused.includes('#') && !spy.refused.includes('+/salon/#'), `refused: ${spy.refused.join(', ')}`);
    const central = await recorder(t.url, opts(t.ingest), ['#']);
    try {
      await attemptPublish(t.url, opts(t.casa2.devices), 'casa2/salon/t1/temperature', '19');
      await attemptPublish(t.url, opts(t.ingest), 'casa2/salon/lamp/on/set', 'true');
      await attemptPublish(t.url, opts(t.ingest), 'octopus/alerts/casa2', '{}');
      // Node-RED's user may send commands: the one for casa1 reaches casa1's device.
      assert.equal(await attemptPublish(t.url, opts(t.ingest), 'casa1/salon/lamp/on/set', 'true'), 'acked');
      await waitFor(() => spy.topics().includes('casa1/salon/lamp/on/set'), 10000, "casa1's command at casa1's device");
      await waitFor(() => central.topics().includes('casa1/salon/lamp/on/set'), 10000, 'the command at the ingest subscriber');
      assert.ok(central.topics().includes('casa2/salon/t1/temperature'), "the ingest user reads every house (casa2's reading arrived)");
      assert.deepEqual(new Set(spy.topics()), new Set(['casa1/salon/lamp/on/set']));
    } finally {
      await spy.client.endAsync();
      await central.client.endAsync();
    }
  });

  it("a house's hub has the same limits as its devices", async () => {
    const t = target();
    const central = await recorder(t.url, opts(t.ingest), ['#']);
    try {
      await attemptPublish(t.url, opts(t.casa1.hub), 'casa2/salon/t1/temperature', 'forged');
      await attemptPublish(t.url, opts(t.casa1.hub), 'casa1/salon/lamp/on/set', 'forged');
      assert.equal(await attemptPublish(t.url, opts(t.casa1.hub), 'casa1/hall/t2/temperature', '20'), 'acked');
      await waitFor(() => central.topics().includes('casa1/hall/t2/temperature'), 10000, "the hub's reading");
      assert.deepEqual(central.topics(), ['casa1/hall/t2/temperature']);
    } finally {
      await central.client.endAsync();
    }
  });
}

describe('MQTT security', function () {
  this.timeout(60000);

  describe("Mosquitto with the project's config (users, ACL, TLS)", () => {
    let broker: TestBroker;
    let target: Target;

    before(async () => {
      broker = await startMosquitto();
      const casa1 = await broker.house('casa1');
      const casa2 = await broker.house('casa2');
      target = { url: `mqtt://127.0.0.1:${broker.port}`, ingest: broker.ingest, casa1, casa2 };
    });
    after(async () => broker?.stop());

    houseRules(() => target);

    it('speaks TLS on the TLS port with a certificate of the test CA; a plain connection there fails', async () => {
      const ok = await connects('', broker.tlsOptions(target.casa1.hub));
      assert.deepEqual(ok, { ok: true });
      // The same rules hold over TLS: the hub's reading arrives, a command from it does not.
      const central = await recorder('', broker.tlsOptions(target.ingest), ['#']);
      try {
        await attemptPublish('', broker.tlsOptions(target.casa1.hub), 'casa1/salon/lamp/on/set', 'forged');
        assert.equal(await attemptPublish('', broker.tlsOptions(target.casa1.hub), 'casa1/tls/t1/temperature', '20'), 'acked');
        await waitFor(() => central.topics().includes('casa1/tls/t1/temperature'), 10000, 'the reading sent over TLS');
        assert.deepEqual(central.topics(), ['casa1/tls/t1/temperature']);
      } finally {
        await central.client.endAsync();
      }
      const plain = await connects(`mqtt://127.0.0.1:${broker.tlsPort}`, opts(target.casa1.hub));
      assert.equal(plain.ok, false, 'plain MQTT on the TLS port');
      const untrusted = await connects('', { ...broker.tlsOptions(target.casa1.hub), ca: undefined });
      assert.equal(untrusted.ok, false, 'TLS without trusting the CA');
      assert.match(untrusted.error ?? '', /self[- ]signed|unable to verify|certificate/i);
      const wrongPassword = await connects('', broker.tlsOptions({ ...target.casa1.hub, password: 'nope' }));
      assert.equal(wrongPassword.ok, false, 'TLS with a wrong password');
    });
  });

  describe('the embedded aedes broker (npm start without MQTT_URL)', () => {
    let broker: EmbeddedBroker;
    let target: Target;

    before(async () => {
      const plan = planUsers({ existingPasswordFile: '', houses: ['casa1', 'casa2'], ingestUser: 'octopus' });
      const pw = (u: string) => ({ username: u, password: plan.newCredentials.find((c) => c.username === u)?.password as string });
      const port = await freePort();
      broker = await startEmbeddedBroker(port, createBrokerAuth(plan.users, plan.passwordFile));
      target = {
        url: broker.url,
        ingest: pw('octopus'),
        casa1: { devices: pw('casa1-devices'), hub: pw('casa1-hub') },
        casa2: { devices: pw('casa2-devices'), hub: pw('casa2-hub') },
      };
    });
    after(async () => broker?.close());

    houseRules(() => target);
  });

  describe('npm start with the embedded broker, then npm run simulate', () => {
    let app: RunningApp | undefined;
    after(async () => app?.stop());

    it('works with the users npm start made, and refuses anonymous clients', async function () {
      this.timeout(150000);
      const mqttPort = await freePort();
      const pgPort = await freePort();
      app = await startApp({ MQTT_URL: undefined, DATABASE_URL: undefined, MQTT_USERNAME: undefined, MQTT_PASSWORD: undefined, MQTT_PORT: String(mqttPort), OCTOPUS_PG_PORT: String(pgPort) }, { timeoutMs: 90000 });
      await waitFor(() => /connected to mqtt/.test(app!.output()), 15000, 'Node-RED to log in to the embedded broker');
      assert.equal((await connects(`mqtt://127.0.0.1:${mqttPort}`)).ok, false, 'anonymous');
      assert.doesNotMatch(app.output(), /mqtt:\/\/[^/\s]*:[^@\s]+@/, 'no password in the log');
      // No broker named: the simulator takes the user `npm start` left in the data directory.
      const env: NodeJS.ProcessEnv = { ...process.env, OCTOPUS_DATA_DIR: app.dataDir, MQTT_PORT: String(mqttPort) };
      for (const k of ['MQTT_URL', 'MQTT_USERNAME', 'MQTT_PASSWORD']) delete env[k];
      const prefix = `sim${randomUUID().slice(0, 4)}`;
      const { stdout } = await promisify(execFile)(process.execPath, [SIMULATE, '--count', '30', '--rate', '200', '--sites', '2', '--prefix', prefix], { env, timeout: 60000 });
      assert.match(stdout, /done: sent 30, acked 30/);
      const pg = new Client({ connectionString: embeddedPostgresUrl(join(app.dataDir, 'pglite'), pgPort) });
      await pg.connect();
      try {
        await waitFor(async () => Number((await pg.query('select count(*) as n from readings where device_id like $1', [`${prefix}-%`])).rows[0].n) === 30, 20000, '30 simulated readings stored');
      } finally {
        await pg.end();
      }
    });
  });
});

