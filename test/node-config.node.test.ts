import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import helper from 'node-red-node-test-helper';
import { countRows } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { useRealServices } from './support/node-red-services';
/* eslint-disable @typescript-eslint/no-require-imports */
const nodes = [
  require('../nodes/octopus-broker/octopus-broker'),
  require('../nodes/octopus-postgres/octopus-postgres'),
  require('../nodes/octopus-mqtt-in/octopus-mqtt-in'),
  require('../nodes/octopus-parse/octopus-parse'),
  require('../nodes/octopus-store/octopus-store'),
  require('../nodes/octopus-registry/octopus-registry'),
  require('../nodes/octopus-devices/octopus-devices'),
  require('../nodes/octopus-dashboard/octopus-dashboard'),
  require('../nodes/octopus-alert/octopus-alert'),
  require('@node-red/nodes/core/common/25-catch.js'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(require.resolve('node-red'));

type FlowNode = Record<string, unknown> & { id: string; type: string };
interface LogEntry {
  level: number;
  id?: string;
  type?: string;
  msg?: unknown;
}
interface Spy {
  getCalls(): Array<{ thisValue: { id: string }; args: unknown[] }>;
}

/** The fixture flow (test/fixtures), on this test's broker, topics and client id. */
function fixtureFlow(name: string, site: string): FlowNode[] {
  const flow = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'test', 'fixtures', name), 'utf8')) as FlowNode[];
  return flow.map((n) => {
    if (n.type === 'octopus-broker') return { ...n, url: MQTT_TEST_URL, clientId: `nodecfg-${randomUUID().slice(0, 8)}` };
    if (n.type === 'octopus-mqtt-in') return { ...n, topics: `${site}/+/+/+` };
    return n;
  });
}

/** Node-RED's log level for errors (RED.log.ERROR). */
const ERROR = 20;

function logs(): LogEntry[] {
  return (helper.log() as unknown as { args: LogEntry[][] }).args.map((a) => a[0]);
}

/**
 * A flow saved by the current version runs as it is; one saved before node config versions is
 * migrated when its nodes start (and says so) and runs the same; a config of the wrong shape stops
 * its node with the reason on the status and on every message.
 */
describe('node config versions in Node-RED (real broker, real Postgres)', function () {
  this.timeout(60000);
  const services = useRealServices('nodecfg');

  for (const [fixture, version] of [
    ['flow-v1.json', 1],
    ['flow-v0.json', 0],
  ] as const) {
    it(`runs the application flow saved with ${version === 1 ? 'the current version' : 'no version (before versions)'} (${fixture}): a reading reaches Postgres`, async () => {
      const site = `cfg${version}-${randomUUID().slice(0, 6)}`;
      const flow = fixtureFlow(fixture, site);
      await helper.load(nodes, flow as never);
      const octopusIds = flow.filter((n) => n.type.startsWith('octopus-')).map((n) => n.id);
      await waitFor(() => logs().some((l) => l.id === 'octopus-source' && /subscribed to/.test(String(l.msg))), 15000, 'the source subscribed');
      await services.mqtt.publishAsync(`${site}/salon/termo/temperature`, '21.5', { qos: 1 });
      await waitFor(async () => (await countRows(services.db.url, 'select count(*) as n from readings where device_id = $1', [`${site}/salon/termo`])) === 1, 15000, 'the reading in Postgres');

      const notes = logs().filter((l) => /^config saved/.test(String(l.msg)));
      if (version === 1) {
        assert.deepEqual(notes, [], 'no migration for a flow saved now');
      } else {
        assert.deepEqual(notes.map((l) => l.id).sort(), [...octopusIds].sort(), 'every node says it read an older config');
        for (const l of notes) assert.match(String(l.msg), /^config saved with version 0, read as version 1 \(0→1: absent properties set to what they meant\)/);
      }
      assert.deepEqual(logs().filter((l) => l.level === ERROR && octopusIds.includes(String(l.id))), [], 'no node refused its config');
    });
  }

  it('a config of the wrong shape: red status with the reason, every message fails with it; a newer version is read as it is', async () => {
    await helper.load(nodes, [
      { id: 'tab', type: 'tab' },
      { id: 'pg', type: 'octopus-postgres', poolSize: 2, configVersion: 1 },
      { id: 'bad', z: 'tab', type: 'octopus-store', database: 'pg', batchSize: { many: true }, configVersion: 1, wires: [] },
      { id: 'newer', z: 'tab', type: 'octopus-store', database: 'pg', batchSize: 10, batchWaitMs: 20, configVersion: 5, laterSetting: 'x', wires: [] },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['bad'], uncaught: false, wires: [['errors']] },
      { id: 'errors', z: 'tab', type: 'helper' },
    ] as never);
    const problem = 'config: property "batchSize" must be a number or text, not an object';
    const statusSpy = helper.getNode('bad').status as unknown as Spy;
    const statuses = statusSpy.getCalls().filter((c) => c.thisValue.id === 'bad').map((c) => c.args[0]);
    assert.deepEqual(statuses, [{ fill: 'red', shape: 'ring', text: problem }]);
    assert.ok(logs().some((l) => l.id === 'bad' && l.level === ERROR && l.msg === `octopus-store: ${problem}`));

    const errors: string[] = [];
    (helper.getNode('errors') as unknown as { on(e: 'input', cb: (msg: { error?: { message?: string } }) => void): void }).on('input', (msg) => errors.push(String(msg.error?.message)));
    helper.getNode('bad').receive({ payload: [] });
    await waitFor(() => errors.length === 1, 5000, 'the caught error');
    assert.deepEqual(errors, [`Error: octopus-store: ${problem}`]);

    const newer = logs().find((l) => l.id === 'newer' && /newer Octopus/.test(String(l.msg)));
    assert.match(String(newer?.msg), /^config saved by a newer Octopus \(version 5; this one knows up to 1\)/);
  });
});
