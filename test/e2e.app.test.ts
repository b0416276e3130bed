import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { DIALECTS } from '../lib/simulation/dialects';
import { Simulator } from '../lib/simulation/simulator';
import { readDevCredentials } from '../scripts/embedded/broker-users';
import { embeddedPostgresUrl } from '../scripts/embedded/postgres';
import { startApp, type RunningApp } from './support/app';
import type { Session } from './support/auth';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { freePort } from './support/ports';

// One sign-in per running app: polling must not run into the login rate limit.
const sessions = new WeakMap<RunningApp, Promise<Session>>();

/** Latest value of a device attribute as the dashboard's state API reports it (any nesting), seen by the operator. */
async function dashboardValue(app: RunningApp, deviceId: string, attribute: string): Promise<unknown> {
  if (!sessions.has(app)) {
    const signing = app.login();
    sessions.set(app, signing);
    // A failed sign-in (the app still starting) is tried again on the next poll.
    signing.catch(() => sessions.delete(app));
  }
  const res = await (await (sessions.get(app) as Promise<Session>)).fetch('/ui/api/state');
  if (!res.ok) return undefined;
  const state: unknown = await res.json();
  return findValue(state, deviceId, attribute);
}

function findValue(node: unknown, deviceId: string, attribute: string): unknown {
  if (Array.isArray(node)) {
    for (const x of node) {
      const v = findValue(x, deviceId, attribute);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.deviceId === deviceId && o.attribute === attribute && 'value' in o) return o.value;
    if (o.deviceId === deviceId && o.attributes && typeof o.attributes === 'object') {
      const a = (o.attributes as Record<string, unknown>)[attribute];
      if (a && typeof a === 'object' && 'value' in (a as object)) return (a as { value: unknown }).value;
    }
    for (const v of Object.values(o)) {
      const found = findValue(v, deviceId, attribute);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}


async function publishReadings(client: MqttClient, site: string, n: number, startValue = 20): Promise<void> {
  // A minute ago, one reading a second: today's partition, whatever day the test runs.
  const base = Date.now() - 60_000;
  for (let i = 0; i < n; i++) {
    const payload = JSON.stringify({ value: startValue + i, unit: '°C', ts: new Date(base + i * 1000).toISOString() });
    await client.publishAsync(`${site}/salon/termo/temperature`, payload, { qos: 1 });
  }
}

async function paletteTypes(app: RunningApp): Promise<string[]> {
  const res = await app.adminFetch('/nodes', { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200);
  const sets = (await res.json()) as Array<{ module: string; types: string[] }>;
  return sets.filter((s) => s.module === 'node-red-contrib-octopus').flatMap((s) => s.types);
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const OCTOPUS_TYPES = Object.keys((require('../../package.json') as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

describe('the application end to end', function () {
  this.timeout(120000);

  describe('with the real broker and Postgres (MQTT_URL, DATABASE_URL)', () => {
    let db: TestDatabase;
    let app: RunningApp | undefined;
    let mqtt: MqttClient;
    const site = `e2e-${randomUUID().slice(0, 8)}`;

    before(async () => {
      db = await createTestDatabase();
      mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `e2e-pub-${randomUUID()}` });
    });
    after(async () => {
      await app?.stop();
      await mqtt.endAsync();
      await db.drop();
    });

    // Maintenance every second, raw readings kept forever (until the late-readings test sets a retention).
    const metricsToken = randomUUID();
    const env = () => ({
      MQTT_URL: MQTT_TEST_URL,
      DATABASE_URL: db.url,
      OCTOPUS_MAINTENANCE_INTERVAL_SECONDS: '1',
      OCTOPUS_RAW_RETENTION_DAYS: '0',
      OCTOPUS_METRICS_TOKEN: metricsToken,
    });

    it('serves the editor with every Octopus node in the palette', async () => {
      app = await startApp(env());
      const editor = await fetch(`${app.baseUrl}/`);
      assert.equal(editor.status, 200);
      assert.match(await editor.text(), /Octopus/);
      // The page loads, but the admin API behind it needs the operator's login.
      assert.equal((await fetch(`${app.baseUrl}/nodes`, { headers: { Accept: 'application/json' } })).status, 401);
      assert.equal((await fetch(`${app.baseUrl}/flows`)).status, 401);
      assert.deepEqual((await paletteTypes(app)).sort(), [...OCTOPUS_TYPES].sort());
    });

    it('stores published readings in Postgres and shows them on /ui', async () => {
      assert.ok(app);
      const signedIn = await app!.login();
      await waitFor(async () => (await signedIn.fetch('/ui/', { redirect: 'manual' })).status === 200, 10000, '/ui');
      await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
      await publishReadings(mqtt, site, 25);
      await waitFor(
        async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${site}/salon/termo`])) === 25,
        15000,
        '25 rows in readings',
      );
      // The database node's maintenance made the day's partitions on start, so nothing sits in the default one.
      await waitFor(
        async () => (await countRows(db.url, "select count(*) as n from readings r join pg_class c on c.oid = r.tableoid where device_id = $1 and c.relname like 'readings_p%'", [`${site}/salon/termo`])) === 25,
        15000,
        'the rows in daily partitions',
      );
      await waitFor(async () => (await dashboardValue(app!, `${site}/salon/termo`, 'temperature')) === 44, 5000, 'the latest value on /ui');
      // The registry saw it too, and the REST API serves it.
      const operator = await app!.login();
      const api = await operator.fetch(`/api/v1/devices/${encodeURIComponent(`${site}/salon/termo`)}`);
      assert.equal(api.status, 200);
      const device = (await api.json()) as { state: string; attributes: Array<{ name: string; value: unknown; unit?: string }> };
      assert.equal(device.state, 'online');
      assert.deepEqual(device.attributes.map((a) => [a.name, a.value, a.unit]), [['temperature', 44, '°C']]);
      // A malformed message is counted and dead-lettered, not lost and not fatal.
      await mqtt.publishAsync(`${site}/salon/termo/temperature`, 'NaN', { qos: 1 });
      await waitFor(
        async () => (await countRows(db.url, "select count(*) as n from dead_letters where topic = $1 and code = 'value-not-finite'", [`${site}/salon/termo/temperature`])) === 1,
        10000,
        'the dead letter',
      );
    });

    it('devices speaking Tasmota, Zigbee2MQTT, Shelly, ESPHome, Homie, Home Assistant discovery and OwnTracks reach the registry and Postgres', async () => {
      assert.ok(app);
      const tag = `fw${randomUUID().slice(0, 6)}`;
      const sims: Simulator[] = [];
      for (const dialect of DIALECTS.filter((d) => d !== 'octopus')) {
        const sim = new Simulator({ url: MQTT_TEST_URL, sites: 1, roomsPerSite: 1, devicesPerRoom: 3, seed: 2, sitePrefix: `${tag}-${dialect}`, rate: 200, qos: 1, plain: false, timestamps: true, count: 30, maxInFlight: 50, dialect });
        sims.push(sim);
        await sim.start();
        await sim.done();
      }
      const operator = await app!.login();
      for (const dialect of DIALECTS.filter((d) => d !== 'octopus')) {
        const prefix = `${dialect}:${tag}-${dialect}`;
        await waitFor(
          async () => (await countRows(db.url, 'select count(distinct device_id) as n from readings where device_id like $1', [`${prefix}%`])) === 3,
          15000,
          `${dialect} readings in Postgres`,
        );
        const res = await operator.fetch(`/api/v1/devices?q=${encodeURIComponent(prefix)}`);
        const list = (await res.json()) as { total: number; items: Array<{ deviceId: string; profile: string; attributes: unknown[] }> };
        assert.equal(list.total, 3, `${dialect} devices in the registry`);
        for (const d of list.items) {
          assert.equal(d.profile, dialect);
          assert.ok(d.attributes.length > 0, `${d.deviceId} has attributes`);
        }
      }
      // Leave no retained announcements behind on the shared broker (for Homie that also removes the devices).
      for (const sim of sims) await sim.stop(true);
    });

    it('a restart applies no migration again and keeps serving', async () => {
      assert.ok(app);
      const before = await countRows(db.url, 'select count(*) as n from schema_migrations');
      assert.ok(before >= 1);
      assert.match(app.output(), /applied migrations/);
      assert.equal(await app.stop(), 0);
      app = await startApp(env(), { dataDir: app.dataDir });
      await publishReadings(mqtt, `${site}-b`, 1);
      await waitFor(async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${site}-b/salon/termo`])) === 1, 15000, 'a row after restart');
      assert.equal(await countRows(db.url, 'select count(*) as n from schema_migrations'), before);
      assert.doesNotMatch(app.output(), /applied migrations/);
    });

    it('moves late readings (a week and a year old, through MQTT) into their own day partitions; retention then drops the old day', async () => {
      assert.ok(app);
      const DAY = 86_400_000;
      const dayName = (t: number) => `readings_p${new Date(Math.floor(t / DAY) * DAY).toISOString().slice(0, 10).replace(/-/g, '')}`;
      const weekAgo = Date.now() - 7 * DAY;
      const yearAgo = Date.now() - 366 * DAY;
      const device = `${site}-late/salon/termo`;
      for (const [value, ts] of [[1, weekAgo], [2, yearAgo]]) {
        await mqtt.publishAsync(`${device}/temperature`, JSON.stringify({ value, ts: new Date(ts).toISOString() }), { qos: 1 });
      }
      const partitionOfRow = async (ts: number) => {
        const c = await countRows(
          db.url,
          "select count(*) as n from readings r join pg_class c on c.oid = r.tableoid where device_id = $1 and ts = $2 and c.relname = $3",
          [device, new Date(ts), dayName(ts)],
        );
        return c === 1;
      };
      await waitFor(async () => (await partitionOfRow(weekAgo)) && (await partitionOfRow(yearAgo)), 20000, 'both late readings in their own day partitions');
      // The maintenance logs every run that moves days: both days were moved within two runs. The
      // log line comes when the whole run ends (rollups included), after the moves have committed.
      const movesLogged = () => app!.output().split('\n').filter((l) => /readings of past days moved into/.test(l));
      await waitFor(() => movesLogged().some((l) => l.includes(dayName(weekAgo))) && movesLogged().some((l) => l.includes(dayName(yearAgo))), 20000, "both days' moves in the log");
      const moves = movesLogged();
      assert.ok(moves.length <= 2, `moved in ${moves.length} runs:\n${moves.join('\n')}`);
      const metrics = await fetch(`${app!.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^octopus_readings_default_partition_rows 0$/m, 'nothing waits in the default partition');

      // A year's retention: the next start's maintenance drops the year-old day and keeps the week-old one.
      assert.equal(await app!.stop(), 0);
      app = await startApp({ ...env(), OCTOPUS_RAW_RETENTION_DAYS: '365' }, { dataDir: app!.dataDir });
      await waitFor(() => app!.output().includes(dayName(yearAgo)), 15000, 'retention to drop the year-old day');
      assert.match(app.output(), new RegExp(`retention \\(365 days\\): dropped .*${dayName(yearAgo)}`));
      assert.equal(await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [device]), 1);
      assert.ok(await partitionOfRow(weekAgo), 'the week-old reading stays in its day');
    });
  });

  describe('on the embedded broker and database (no MQTT_URL, no DATABASE_URL)', () => {
    let app: RunningApp | undefined;
    let mqtt: MqttClient | undefined;

    after(async () => {
      await mqtt?.endAsync();
      await app?.stop();
    });

    it('runs the whole system, stores readings and keeps them across a restart', async () => {
      const mqttPort = await freePort();
      const pgPort = await freePort();
      const env = { MQTT_URL: undefined, DATABASE_URL: undefined, MQTT_PORT: String(mqttPort), OCTOPUS_PG_PORT: String(pgPort) };
      app = await startApp(env, { timeoutMs: 90000 });
      assert.match(app.output(), new RegExp(`embedded MQTT broker on mqtt://127.0.0.1:${mqttPort}`));
      assert.deepEqual((await paletteTypes(app)).sort(), [...OCTOPUS_TYPES].sort());
      // The embedded database wants the password `npm start` made beside its data, as the app got it.
      const pgUrl = embeddedPostgresUrl(join(app.dataDir, 'pglite'), pgPort);
      // The embedded broker refuses anonymous clients: this test plays the simulator, with the user `npm start` made for it.
      const dev = readDevCredentials(app.dataDir);
      mqtt = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `e2e-embedded-${randomUUID()}`, username: dev?.username, password: dev?.password });
      await waitFor(() => /connected to mqtt/.test(app!.output()), 10000, 'the source to connect');
      await publishReadings(mqtt, 'embedded', 10, 100);
      await waitFor(async () => (await dashboardValue(app!, 'embedded/salon/termo', 'temperature')) === 109, 10000, 'the value on /ui');
      await waitFor(async () => (await countRows(pgUrl, "select count(*) as n from readings where device_id = 'embedded/salon/termo'")) === 10, 15000, '10 rows');
      await mqtt.endAsync();
      mqtt = undefined;
      assert.equal(await app.stop(), 0);

      app = await startApp(env, { dataDir: app.dataDir, timeoutMs: 90000 });
      assert.equal(await countRows(pgUrl, "select count(*) as n from readings where device_id = 'embedded/salon/termo'"), 10);
      // The page shows the last known values at once after a restart, before any new reading.
      await waitFor(async () => (await dashboardValue(app!, 'embedded/salon/termo', 'temperature')) === 109, 15000, 'the last value on /ui after the restart');
      assert.doesNotMatch(app.output(), /applied migrations/);
    });

    it('says how to use the broker already on the port when the embedded one cannot start', async () => {
      const taken = Number(new URL(MQTT_TEST_URL).port || 1883);
      await assert.rejects(startApp({ MQTT_URL: undefined, DATABASE_URL: undefined, MQTT_PORT: String(taken) }), (err: Error) => {
        assert.match(err.message, new RegExp(`port ${taken} is taken`));
        assert.match(err.message, new RegExp(`MQTT_URL=mqtt://127.0.0.1:${taken} npm start`));
        return true;
      });
    });
  });
});
