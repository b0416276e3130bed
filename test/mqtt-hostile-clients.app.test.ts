import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { IClientOptions } from 'mqtt';
import { createBrokerAuth } from '../lib/mqtt-auth/broker-auth';
import { planUsers } from '../lib/mqtt-auth/user-plan';
import { startEmbeddedBroker, type EmbeddedBroker } from '../scripts/embedded/mqtt-broker';
import { startApp, type RunningApp } from './support/app';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { mosquittoProcess, startMosquitto, type Credentials, type TestBroker } from './support/mosquitto';
import { attemptPublish, connects, PREDICTABLE_CLIENT_ID_SUFFIXES, recorder, sessionPresent } from './support/mqtt-probe';
import { freePort } from './support/ports';

/**
 * Issue #15, the MQTT side: a house's user (its devices' or its hub's password, which the house
 * holds) attacking Node-RED's connection to the broker rather than other houses' topics.
 * The real app ingests from the project's Mosquitto and from the embedded aedes broker; the
 * attacker knows everything in the repository: the shipped flow's node ids, the client id
 * defaults, a fixed OCTOPUS_CLIENT_ID as docker-compose sets one.
 */

const MQTT_USERS = resolve(__dirname, '..', 'scripts', 'mqtt-users.js');
const HUB_CONFIG = resolve(__dirname, '..', 'scripts', 'hub-config.js');

const login = (c: Credentials, clientId: string): IClientOptions => ({ username: c.username, password: c.password, clientId });
const connections = (app: RunningApp) => app.output().match(/connected to mqtt:\/\/\S+, subscribed to/g)?.length ?? 0;

/** An honest house publishes `count` readings; all of them must be stored. */
async function honestReadingsStored(url: string, house: Credentials, db: TestDatabase, site: string, count: number): Promise<void> {
  const device = `t${randomUUID().slice(0, 6)}`;
  for (let i = 0; i < count; i++) assert.equal(await attemptPublish(url, login(house, `${house.username}-${device}`), `${site}/salon/${device}/temperature`, String(20 + i / 10)), 'acked');
  await waitFor(async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${site}/salon/${device}`])) === count, 20000, `the ${count} readings of ${site}`);
}

describe('hostile MQTT clients (issue #15)', function () {
  this.timeout(120000);

  describe("Mosquitto with the project's config and the real app", () => {
    let broker: TestBroker;
    let db: TestDatabase;
    let app: RunningApp;
    let casa1: Credentials;
    let casa2: Credentials;
    const base = `octopus-hostile-${randomUUID().slice(0, 6)}`;

    before(async () => {
      broker = await startMosquitto();
      casa1 = (await broker.house('casa1')).devices;
      casa2 = (await broker.house('casa2')).devices;
      db = await createTestDatabase();
      app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url, OCTOPUS_CLIENT_ID: base });
      await waitFor(() => connections(app) >= 1, 15000, 'the app to subscribe');
    });
    after(async () => {
      await app?.stop();
      await broker?.stop();
      await db?.drop();
    });

    it("a house using Node-RED's predictable client ids neither takes its persistent session nor kicks it off; readings keep arriving", async () => {
      // Mosquitto 2 cannot tie client ids to users, so it accepts the house: what protects Node-RED
      // is that its real ids end with a tag made from its password.
      for (const suffix of ['', ...PREDICTABLE_CLIENT_ID_SUFFIXES]) {
        const id = suffix ? `${base}-${suffix}` : base;
        const url = `mqtt://127.0.0.1:${broker.port}`;
        assert.equal(await sessionPresent(url, { ...login(casa1, id), clean: false }), false, `${id}: no session of Node-RED's handed to the house`);
        // Again and again, as a kick-off loop would (clean: the house's own session from above goes).
        for (let attempt = 0; attempt < 3; attempt++) await sessionPresent(url, { ...login(casa1, id), clean: true });
        assert.doesNotMatch(broker.output(), new RegExp(`Client ${id} already connected`), `${id}: Node-RED's connection was not closed`);
      }
      const source = new RegExp(`as (${base}-octopus-source-[0-9a-f]{16}) `).exec(broker.output());
      assert.ok(source, `the source's client id carries the tag: ${broker.output().split('\n').filter((l) => l.includes(base)).join('\n')}`);
      await honestReadingsStored(`mqtt://127.0.0.1:${broker.port}`, casa2, db, 'casa2', 20);
      assert.equal(connections(app), 1, "Node-RED's source stayed connected");
    });
  });

  describe('the embedded aedes broker and the real app', () => {
    let broker: EmbeddedBroker;
    let db: TestDatabase;
    let app: RunningApp;
    let ingest: Credentials;
    let casa1: Credentials;
    let casa1Hub: Credentials;
    let casa2: Credentials;
    const base = `octopus-hostile-${randomUUID().slice(0, 6)}`;

    before(async () => {
      const plan = planUsers({ existingPasswordFile: '', houses: ['casa1', 'casa2'], ingestUser: 'octopus' });
      const pw = (u: string): Credentials => ({ username: u, password: plan.newCredentials.find((c) => c.username === u)?.password as string });
      [ingest, casa1, casa1Hub, casa2] = [pw('octopus'), pw('casa1-devices'), pw('casa1-hub'), pw('casa2-devices')];
      broker = await startEmbeddedBroker(await freePort(), createBrokerAuth(plan.users, plan.passwordFile));
      db = await createTestDatabase();
      const url = new URL(broker.url);
      url.username = ingest.username;
      url.password = ingest.password;
      app = await startApp({ MQTT_URL: url.toString(), DATABASE_URL: db.url, OCTOPUS_CLIENT_ID: base });
      await waitFor(() => connections(app) >= 1, 15000, 'the app to subscribe');
    });
    after(async () => {
      await app?.stop();
      await broker?.close();
      await db?.drop();
    });

    it("refuses a house connecting with Node-RED's client ids (not authorized); Node-RED's source stays connected and its readings keep arriving", async () => {
      const ids = [base, ...PREDICTABLE_CLIENT_ID_SUFFIXES.map((s) => `${base}-${s}`), 'octopus-1a2b3c4d-octopus-source', 'casa2-devices-t1', 'casa1-hub'];
      for (const id of ids) {
        for (const who of [casa1, casa1Hub]) {
          if (id.startsWith(`${who.username}`)) continue;
          const attempt = await connects(broker.url, login(who, id));
          assert.equal(attempt.ok, false, `${who.username} as ${id}`);
          assert.match(attempt.error ?? '', /not authorized/i, `${who.username} as ${id}`);
        }
      }
      assert.deepEqual(await connects(broker.url, login(casa1, 'casa1-devices-lamp')), { ok: true }, 'its own ids work');
      assert.deepEqual(await connects(broker.url, login(casa1Hub, 'casa1-hub')), { ok: true }, "the hub bridge's id works");
      await honestReadingsStored(broker.url, casa2, db, 'casa2', 20);
      assert.equal(connections(app), 1, "Node-RED's source stayed connected");
    });

    it("refuses a house's subscription to the ingest's $share group (and any shared subscription)", async () => {
      const spy = await recorder(broker.url, login(casa1, 'casa1-devices-spy'), ['$share/octopus-ingest/#', '$share/octopus-ingest/+/+/+/+', '$share/g/casa1/#', 'casa1/#']);
      try {
        assert.deepEqual(spy.refused, ['$share/octopus-ingest/#', '$share/octopus-ingest/+/+/+/+', '$share/g/casa1/#']);
      } finally {
        await spy.client.endAsync();
      }
      const central = await recorder(broker.url, login(ingest, 'octopus-hostile-share'), ['$share/octopus-ingest/#']);
      try {
        assert.deepEqual(central.refused, [], "Node-RED's user makes shared subscriptions");
      } finally {
        await central.client.endAsync();
      }
    });
  });

  describe('site names that are top-level topics (npm run mqtt:users)', () => {
    for (const site of ['tele', 'octopus', 'homeassistant', 'zigbee2mqtt']) {
      it(`refuses a house named ${site} with a sentence, writing nothing`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'octopus-reserved-'));
        const run = promisify(execFile)(process.execPath, [MQTT_USERS, '--house', site, '--dir', dir, '--no-database', '--print'], { env: { ...process.env, DATABASE_URL: '', MQTT_URL: '' } });
        const err = (await run.then(() => undefined, (e: Error & { code?: number; stderr?: string }) => e)) as (Error & { code?: number; stderr?: string }) | undefined;
        assert.ok(err, `a house named ${site} was accepted`);
        assert.equal(err.code, 1);
        assert.match(err.stderr ?? '', new RegExp(`house "${site}" cannot have MQTT users: "${site}" is a top-level topic of Octopus or of a device firmware .*choose another site name`));
        assert.equal(existsSync(join(dir, 'passwd')), false);
        assert.equal(existsSync(join(dir, 'acl')), false);
      });
    }
  });

  describe("a house hub's LAN listener (npm run hub:config)", () => {
    it("requires logins by default: a password file with the house's devices user is written next to the config, anonymous clients are refused", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'octopus-hub-lan-'));
      const localPort = await freePort();
      const confPath = join(dir, 'mosquitto.conf');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [HUB_CONFIG, '--site', 'casa1', '--central', `127.0.0.1:${await freePort()}`, '--ca-file', join(dir, 'ca.crt'), '--local-port', String(localPort), '--persistence-dir', `${dir}/`, '--out', confPath],
        { env: { ...process.env, OCTOPUS_HUB_PASSWORD: 'hub-password-1' } },
      );
      const made = /new local user for the house's devices \(shown once; store it now\): (casa1-devices):(\S+)/.exec(stdout);
      assert.ok(made, stdout);
      assert.equal(statSync(join(dir, 'passwd')).mode & 0o777, 0o600);
      const conf = readFileSync(confPath, 'utf8');
      assert.match(conf, /^allow_anonymous false$/m);
      // On the hub the file is /mosquitto/config/passwd; here it is next to the config. The test CA is not needed: the uplink may fail.
      writeFileSync(confPath, `user root\n${conf.replace('/mosquitto/config/passwd', join(dir, 'passwd')).replace(/^log_dest .*$/m, 'log_dest stderr')}`);
      const lan = { username: made[1], password: made[2] };
      const hub = mosquittoProcess(confPath, async () => {
        if (!(await connects(`mqtt://127.0.0.1:${localPort}`, { ...lan, clientId: 'casa1-devices-probe' })).ok) throw new Error('not yet');
      });
      await hub.start();
      try {
        const anonymous = await connects(`mqtt://127.0.0.1:${localPort}`);
        assert.equal(anonymous.ok, false, 'anonymous on the LAN');
        assert.equal((await connects(`mqtt://127.0.0.1:${localPort}`, { ...lan, password: 'wrong' })).ok, false);
      } finally {
        await hub.stop();
      }
      // Rerun: the devices keep their password.
      const again = await promisify(execFile)(process.execPath, [HUB_CONFIG, '--site', 'casa1', '--central', '127.0.0.1:8883', '--local-port', String(localPort), '--out', confPath], { env: { ...process.env, OCTOPUS_HUB_PASSWORD: 'hub-password-1' } });
      assert.doesNotMatch(again.stdout, /new local user/);
    });
  });
});
