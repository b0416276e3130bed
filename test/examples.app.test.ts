import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { startApp, type RunningApp } from './support/app';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { DEFAULT_FLOW, dataDirWithDefaultFlow, type FlowNode } from './support/flows';
import { startMosquitto, type TestBroker } from './support/mosquitto';
import { adminFetch, adminToken, deployFlows, OCTOPUS_TYPES, readExamples, TEST_OPERATOR, type Example } from './support/node-red-admin';
import { watchNodeStatus, type StatusWatcher } from './support/node-status';

const EXAMPLES = readExamples();

/** Nodes downstream of `from` (following wires), `from` included. */
function reachable(nodes: FlowNode[], from: string): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const port of (byId.get(id)?.wires as string[][] | undefined) ?? []) queue.push(...port);
  }
  return seen;
}

/** Sources whose readings the example stores: a reading published on a fresh site must reach Postgres. */
function storingSources(example: Example): FlowNode[] {
  const stores = new Set(example.nodes.filter((n) => n.type === 'octopus-store').map((n) => n.id));
  return example.nodes.filter(
    (n) => n.type === 'octopus-mqtt-in' && String(n.topics).split('\n').includes('+/+/+/+') && [...reachable(example.nodes, n.id)].some((id) => stores.has(id)),
  );
}

/** Examples without a broker source are exercised through their inject buttons (POST /inject/:id). */
const INJECT_PROBES: Record<string, { inject: string; countSql: string; added: number }> = {
  '02-octopus-postgres': { inject: 'ex-pg-inject', countSql: "select count(*) as n from readings where device_id = 'example/salon/termo'", added: 1 },
  '05-octopus-store': { inject: 'ex-store-go', countSql: "select count(*) as n from readings where device_id = 'example/jardin/meteo'", added: 2 },
};

describe('example flows (Import → Examples)', function () {
  this.timeout(180000);

  it('the full application example is the default flow', () => {
    const app = EXAMPLES.find((e) => e.name === '00-octopus-application');
    assert.ok(app, 'examples/00-octopus-application.json exists');
    assert.deepEqual(app.nodes, JSON.parse(readFileSync(DEFAULT_FLOW, 'utf8')));
  });

  it('every Octopus node type has an example of its own that uses it', () => {
    for (const type of OCTOPUS_TYPES) {
      const own = EXAMPLES.find((e) => new RegExp(`^\\d\\d-${type}$`).test(e.name));
      assert.ok(own, `an example named NN-${type}`);
      assert.ok(
        own.nodes.some((n) => n.type === type),
        `${own.name} uses ${type}`,
      );
    }
  });

  describe('deployed one by one into the running application', () => {
    let broker: TestBroker;
    let db: TestDatabase;
    let app: RunningApp;
    let watcher: StatusWatcher;
    let mqtt: MqttClient;
    let token: string | undefined;
    const clientIdBase = `octopus-examples-${randomUUID().slice(0, 8)}`;

    before(async () => {
      // A broker of the test's own: nothing published by other tests reaches the examples' sources.
      broker = await startMosquitto();
      db = await createTestDatabase();
      app = await startApp(
        {
          MQTT_URL: broker.url,
          DATABASE_URL: db.url,
          OCTOPUS_CLIENT_ID: clientIdBase,
          OCTOPUS_ADMIN_USER: TEST_OPERATOR.username,
          OCTOPUS_ADMIN_PASSWORD: TEST_OPERATOR.password,
        },
        { dataDir: dataDirWithDefaultFlow((nodes) => nodes.splice(0)) },
      );
      token = await adminToken(app.baseUrl);
      watcher = await watchNodeStatus(app.baseUrl, token);
      mqtt = await connectAsync(broker.url, { clientId: `${clientIdBase}-pub` });
    });
    after(async () => {
      watcher?.close();
      await mqtt?.endAsync();
      await app?.stop();
      await broker?.stop();
      await db?.drop();
    });

    for (const example of EXAMPLES) {
      it(`${example.name} deploys without an error status or error log line, and works`, async () => {
        const logFrom = app.output().length;
        const statusFrom = watcher.events.length;
        const notificationsFrom = watcher.notifications.length;
        const flowNodeIds = new Set(example.nodes.filter((n) => typeof n.z === 'string').map((n) => n.id));
        const latest = (id: string) => watcher.events.slice(statusFrom).filter((e) => e.nodeId === id).at(-1);
        const ofType = (type: string) => example.nodes.filter((n) => n.type === type && flowNodeIds.has(n.id));

        await deployFlows(app.baseUrl, example.nodes, token);
        // Sent once the deploy's flows have started, after the statuses their nodes set while starting.
        await waitFor(() => watcher.notifications.slice(notificationsFrom).some((n) => n.topic === 'runtime-deploy'), 30000, 'the deploy to finish');
        // Settled: sources connected to the broker, alert state loaded, the registry feeding devices.
        await waitFor(
          () =>
            ofType('octopus-mqtt-in').every((n) => latest(n.id)?.text.startsWith('connected') === true) &&
            ofType('octopus-alert').every((n) => latest(n.id) !== undefined && !latest(n.id)?.text.startsWith('loading')) &&
            ofType('octopus-devices').every((n) => latest(n.id) !== undefined),
          30000,
          `${example.name}: sources connected and state loaded`,
        );

        const sources = storingSources(example);
        if (sources.length > 0) {
          const site = `ex${example.name.slice(0, 2)}-${randomUUID().slice(0, 6)}`;
          await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 21.5, unit: '°C', ts: Date.now() }), { qos: 1 });
          await waitFor(
            async () => (await countRows(db.url, 'select count(*) as n from readings where device_id = $1', [`${site}/salon/termo`])) === 1,
            30000,
            `${example.name}: the published reading stored`,
          );
        }
        const probe = INJECT_PROBES[example.name];
        if (probe) {
          const before = await countRows(db.url, probe.countSql);
          assert.equal((await adminFetch(app.baseUrl, `/inject/${probe.inject}`, token, { method: 'POST' })).status, 200, `inject ${probe.inject}`);
          await waitFor(async () => (await countRows(db.url, probe.countSql)) === before + probe.added, 30000, `${example.name}: the injected readings stored`);
        }
        if (example.name === '04-octopus-parse') {
          for (const inject of ofType('inject').filter((n) => !/NaN/.test(String(n.payload)))) {
            assert.equal((await adminFetch(app.baseUrl, `/inject/${inject.id}`, token, { method: 'POST' })).status, 200);
          }
          const parser = ofType('octopus-parse')[0];
          await waitFor(() => /^[1-9]\d* readings · 0 rejected/.test(latest(parser.id)?.text ?? ''), 10000, 'the parser to count the sample readings');
        }
        for (const dashboard of ofType('octopus-dashboard')) {
          const page = await fetch(`${app.baseUrl}${String(dashboard.path)}`);
          assert.equal(page.status, 200, `the dashboard at ${String(dashboard.path)}`);
        }

        const red = watcher.events.slice(statusFrom).filter((e) => flowNodeIds.has(e.nodeId) && e.fill === 'red');
        assert.deepEqual(red, [], 'no node showed an error status');
        const errorLines = app
          .output()
          .slice(logFrom)
          .split('\n')
          .filter((l) => /\[error\]/.test(l));
        assert.deepEqual(errorLines, [], 'no error log line');
      });
    }
  });
});
