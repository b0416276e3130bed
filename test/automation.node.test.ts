import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import helper from 'node-red-node-test-helper';
import { saveSceneInput } from '../lib/automation/automation-definitions';
import type { AutomationService, RunEvent } from '../lib/automation/automation-service';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { useRealServices } from './support/node-red-services';
/* eslint-disable @typescript-eslint/no-require-imports */
const nodes = [
  require('../nodes/octopus-broker/octopus-broker'),
  require('../nodes/octopus-postgres/octopus-postgres'),
  require('../nodes/octopus-mqtt-in/octopus-mqtt-in'),
  require('../nodes/octopus-parse/octopus-parse'),
  require('../nodes/octopus-registry/octopus-registry'),
  require('../nodes/octopus-devices/octopus-devices'),
  require('../nodes/octopus-automation/octopus-automation'),
  require('@node-red/nodes/core/common/25-catch.js'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(require.resolve('node-red'));

/** The octopus-automation node in a real Node-RED runtime, broker and Postgres: "run scene X" in, each run out. */
describe('octopus-automation node (real broker, real Postgres)', function () {
  this.timeout(60000);
  const services = useRealServices('auto-node');
  const site = `an-${randomUUID().slice(0, 6)}`;

  it('applies a scene named in the message and emits the run with each device\'s outcome; an unknown scene fails the message', async () => {
    await helper.load(nodes, [
      { id: 'tab', type: 'tab', label: 'automation test' },
      { id: 'broker', type: 'octopus-broker', url: MQTT_TEST_URL, clientId: `an-${randomUUID().slice(0, 8)}` },
      { id: 'pg', type: 'octopus-postgres', poolSize: 3 },
      { id: 'registry', type: 'octopus-registry', database: 'pg', broker: 'broker', commandTimeoutS: 2, staleAfterIntervals: 3, offlineAfterIntervals: 10, defaultIntervalS: 300 },
      { id: 'in', z: 'tab', type: 'octopus-mqtt-in', broker: 'broker', topics: `${site}/+/+/+`, qos: 1, ackMode: 'on-receipt', maxInFlight: 1000, wires: [['parse']] },
      { id: 'parse', z: 'tab', type: 'octopus-parse', wires: [['devices'], [], ['devices']] },
      { id: 'devices', z: 'tab', type: 'octopus-devices', registry: 'registry', wires: [[]] },
      { id: 'auto', z: 'tab', type: 'octopus-automation', registry: 'registry', site, wires: [['runs']] },
      { id: 'bad-auto', z: 'tab', type: 'octopus-automation', registry: 'registry', site: 42, configVersion: 1, wires: [[]] },
      { id: 'runs', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['auto', 'bad-auto'], uncaught: false, wires: [['errors']] },
      { id: 'errors', z: 'tab', type: 'helper' },
    ] as never);
    // A config of the wrong shape: the node says why on its status and fails every message with it.
    const problem = 'config: property "site" must be text, not 42';
    const statusSpy = helper.getNode('bad-auto').status as unknown as { getCalls(): Array<{ thisValue: { id: string }; args: unknown[] }> };
    const badStatus = statusSpy.getCalls().filter((c) => c.thisValue.id === 'bad-auto').map((c) => c.args[0]);
    assert.deepEqual(badStatus, [{ fill: 'red', shape: 'ring', text: problem }]);
    const automation = (helper.getNode('registry') as unknown as { automation: AutomationService }).automation;
    await waitFor(() => automation.registry.listenerCount('readings') > 0, 15000, 'the automation service');
    await new Promise((r) => setTimeout(r, 300)); // the source subscribes
    const light = `${site}/salon/luz`;
    await services.mqtt.subscribeAsync(`${light}/on/set`, { qos: 1 });
    services.mqtt.on('message', (topic, payload) => {
      if (topic === `${light}/on/set`) void services.mqtt.publishAsync(`${light}/on`, payload.toString(), { qos: 1 });
    });
    await services.mqtt.publishAsync(`${light}/on`, 'false', { qos: 1 });
    await waitFor(() => automation.registry.registry.get(light) !== undefined, 5000, 'the light');
    automation.registry.updateMeta(light, { controls: { on: { kind: 'switch' } } });
    const saved = await saveSceneInput(automation, site, { name: 'Evening', targets: [{ deviceId: light, attribute: 'on', value: true }] }, 'test');
    assert.ok(saved.ok, JSON.stringify(saved));

    const runs: Array<{ topic: string; payload: RunEvent }> = [];
    const errors: unknown[] = [];
    (helper.getNode('runs') as unknown as { on(e: 'input', cb: (m: never) => void): void }).on('input', (m) => runs.push(m));
    (helper.getNode('errors') as unknown as { on(e: 'input', cb: (m: never) => void): void }).on('input', (m) => errors.push(m));
    (helper.getNode('auto') as unknown as { receive(m: object): void }).receive({ payload: { scene: 'evening' } });
    await waitFor(() => runs.length === 1, 10000, 'the scene run');
    assert.equal(runs[0].topic, `scene/done/${site}`);
    assert.deepEqual(runs[0].payload.results?.map((r) => `${r.deviceId}:${r.outcome}`), [`${light}:confirmed`]);
    (helper.getNode('auto') as unknown as { receive(m: object): void }).receive({ payload: { scene: 'Morning' } });
    await waitFor(() => errors.length === 1, 5000, 'the error');
    assert.match(JSON.stringify(errors[0]), /no scene 'Morning'/);
    (helper.getNode('bad-auto') as unknown as { receive(m: object): void }).receive({ payload: { scene: 'Evening' } });
    await waitFor(() => errors.length === 2, 5000, 'the refused message');
    assert.equal((errors[1] as { error?: { message?: string } }).error?.message, `Error: octopus-automation: ${problem}`);
    await helper.unload();
  });
});
