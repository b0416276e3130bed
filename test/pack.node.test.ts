import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { countRows, createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import type { FlowNode } from './support/flows';
import { deployFlows, fetchExample, listedExamples, OCTOPUS_TYPES, PACKAGE_NAME, readExamples, registeredTypes } from './support/node-red-admin';
import { STOCK_TARGETS, startStockNodeRed, type NodeRedProcess } from './support/node-red-install';
import { watchNodeStatus } from './support/node-status';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACKAGE_VERSION = (require('../../package.json') as { version: string }).version;

/** The example as a stranger would adapt it: their broker URL and database in the config nodes, a topic of their own. */
function adaptIngestExample(nodes: FlowNode[], site: string, clientId: string, databaseUrl: string): FlowNode[] {
  return nodes.map((n) => {
    if (n.type === 'octopus-broker') return { ...n, url: MQTT_TEST_URL, clientId };
    if (n.type === 'octopus-postgres') return { ...n, credentials: { connectionString: databaseUrl } };
    if (n.type === 'octopus-mqtt-in') return { ...n, topics: `${site}/+/+/+` };
    return n;
  });
}

describe('the packed pack (npm pack) in a stock Node-RED', function () {
  this.timeout(300000);

  for (const target of STOCK_TARGETS) {
    describe(target.label, () => {
      let db: TestDatabase;
      let nodeRed: NodeRedProcess | undefined;
      const clientId = `octopus-pack-${randomUUID().slice(0, 8)}`;

      before(async () => {
        db = await createTestDatabase();
        // Stock settings: Node-RED creates its default settings.js in the user directory. No Octopus
        // environment either: the flow below carries the broker and the database.
        nodeRed = await startStockNodeRed(target);
      });
      after(async () => {
        await nodeRed?.stop();
        // The source's persistent session would otherwise stay on the shared broker.
        const c = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-ex-in`, clean: true });
        await c.endAsync();
        await db?.drop();
      });

      it(`is ${target.label}`, async () => {
        const res = await fetch(`${nodeRed?.baseUrl}/settings`);
        assert.equal(res.status, 200);
        assert.match(nodeRed?.output() ?? '', new RegExp(`Node.js\\s+version: v${target.nodeMajor}\\.`));
        assert.match(nodeRed?.output() ?? '', target.version);
      });

      it('registers every Octopus node (GET /nodes)', async () => {
        const base = (nodeRed as NodeRedProcess).baseUrl;
        assert.deepEqual(await registeredTypes(base), [...OCTOPUS_TYPES].sort());
        const info = (await (await fetch(`${base}/nodes/${PACKAGE_NAME}`, { headers: { Accept: 'application/json' } })).json()) as { version: string };
        assert.equal(info.version, PACKAGE_VERSION);
      });

      it('lists the example flows under Import → Examples', async () => {
        assert.deepEqual(await listedExamples((nodeRed as NodeRedProcess).baseUrl), readExamples().map((e) => e.name));
      });

      it('runs the ingest example against the local broker and Postgres: a published reading is stored', async () => {
        const base = (nodeRed as NodeRedProcess).baseUrl;
        const site = `pack-${target.nodeMajor}-${randomUUID().slice(0, 6)}`;
        const example = await fetchExample(base, '03-octopus-mqtt-in');
        const watcher = await watchNodeStatus(base);
        try {
          await deployFlows(base, adaptIngestExample(example, site, clientId, db.url));
          await waitFor(() => watcher.events.filter((e) => e.nodeId === 'ex-in').at(-1)?.text.startsWith('connected') === true, 30000, 'the source connected');
          const mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `${clientId}-pub` });
          await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 21.5, unit: '°C' }), { qos: 1 });
          await mqtt.endAsync();
          await waitFor(
            async () => (await countRows(db.url, "select count(*) as n from readings where device_id = $1 and attribute = 'temperature'", [`${site}/salon/termo`])) === 1,
            30000,
            'the reading in Postgres',
          );
          const red = watcher.events.filter((e) => e.fill === 'red');
          assert.deepEqual(red, [], 'no error status');
        } finally {
          watcher.close();
        }
      });
    });
  }
});
