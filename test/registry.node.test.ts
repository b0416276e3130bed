import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import helper from 'node-red-node-test-helper';
import type { TrackedCommand } from '../lib/commands/command-tracker';
import type { RegistryEvent } from '../lib/registry/device-registry';
import type { RegistryService } from '../lib/registry/registry-service';
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
  require('../nodes/octopus-command/octopus-command'),
  require('@node-red/nodes/core/common/25-catch.js'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(require.resolve('node-red'));

interface TestNode {
  receive(msg: object): void;
  on(event: 'input', cb: (msg: { payload: unknown; topic?: string }) => void): void;
}

/** The ingest flow plus registry, devices and command nodes, on the real broker and a fresh database. */
function flow(site: string, opts: { staleAfter?: number; offlineAfter?: number; commandTimeoutS?: number } = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'registry test' },
    { id: 'broker', type: 'octopus-broker', name: 'test broker', url: MQTT_TEST_URL, clientId: `reg-${randomUUID().slice(0, 8)}` },
    { id: 'pg', type: 'octopus-postgres', name: 'test database', poolSize: 3 },
    {
      id: 'registry',
      type: 'octopus-registry',
      name: 'test registry',
      database: 'pg',
      broker: 'broker',
      commandTimeoutS: opts.commandTimeoutS ?? 3,
      staleAfterIntervals: opts.staleAfter ?? 3,
      offlineAfterIntervals: opts.offlineAfter ?? 10,
      defaultIntervalS: 300,
    },
    { id: 'in', z: 'tab', type: 'octopus-mqtt-in', broker: 'broker', topics: `${site}/+/+/+\n${site}/+/+`, qos: 1, ackMode: 'after-store', maxInFlight: 1000, wires: [['parse']] },
    { id: 'parse', z: 'tab', type: 'octopus-parse', wires: [['store', 'devices'], ['store'], ['devices']] },
    { id: 'store', z: 'tab', type: 'octopus-store', database: 'pg', batchSize: 100, batchWaitMs: 20, wires: [] },
    { id: 'devices', z: 'tab', type: 'octopus-devices', registry: 'registry', wires: [['events']] },
    { id: 'events', z: 'tab', type: 'helper' },
    { id: 'command', z: 'tab', type: 'octopus-command', registry: 'registry', wires: [['outcomes']] },
    { id: 'outcomes', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: ['command'], uncaught: false, wires: [['errors']] },
    { id: 'errors', z: 'tab', type: 'helper' },
  ];
}

function serviceOf(): RegistryService {
  const n = helper.getNode('registry') as unknown as { service?: RegistryService };
  assert.ok(n.service, 'the registry service runs');
  return n.service;
}

describe('device registry in Node-RED (real broker, real Postgres)', function () {
  this.timeout(60000);
  const services = useRealServices('reg-dev');

  async function load(site: string, opts?: Parameters<typeof flow>[1]) {
    await helper.load(nodes, flow(site, opts) as never);
    await waitFor(() => serviceOf().listenerCount('event') > 0, 5000, 'the devices node');
    await new Promise((r) => setTimeout(r, 300)); // the source subscribes
  }

  function collect<T>(nodeId: string): T[] {
    const got: T[] = [];
    (helper.getNode(nodeId) as unknown as TestNode).on('input', (msg) => got.push(msg.payload as T));
    return got;
  }

  it('a new device appears with its attributes, and survives a Node-RED restart', async () => {
    const site = `reg-${randomUUID().slice(0, 6)}`;
    await load(site);
    const events = collect<RegistryEvent & { device?: { attributes: Record<string, { value: unknown }> } }>('events');
    await services.mqtt.publishAsync(`${site}/salon/termo`, JSON.stringify({ temperature: { value: 21.5, unit: '°C' }, humidity: 40 }), { qos: 1 });
    await waitFor(() => events.some((e) => e.type === 'device-added'), 5000, 'device-added');
    const added = events.find((e) => e.type === 'device-added');
    assert.equal(added?.deviceId, `${site}/salon/termo`);
    const d = serviceOf().registry.get(`${site}/salon/termo`);
    assert.deepEqual(Object.fromEntries([...(d?.attributes ?? [])].map(([k, a]) => [k, [a.value, a.unit]])), {
      temperature: [21.5, '°C'],
      humidity: [40, undefined],
    });
    serviceOf().updateMeta(`${site}/salon/termo`, { name: 'Termostato salón' });
    await serviceOf().save();

    // Restart: a new runtime loads the registry from Postgres.
    await helper.unload();
    await load(site);
    const restored = serviceOf();
    await waitFor(() => restored.registry.get(`${site}/salon/termo`) !== undefined, 5000, 'the restored device');
    const back = restored.registry.get(`${site}/salon/termo`);
    assert.equal(back?.state, 'online');
    assert.equal(back?.meta.name, 'Termostato salón');
    assert.equal(back?.attributes.get('temperature')?.value, 21.5);
  });

  it('LWT offline and silence both take a device offline or stale, and it recovers', async () => {
    const site = `lwt-${randomUUID().slice(0, 6)}`;
    await load(site);
    const events = collect<RegistryEvent>('events');
    const service = serviceOf();
    await services.mqtt.publishAsync(`${site}/cocina/nevera/temperature`, '4.5', { qos: 1 });
    await waitFor(() => service.registry.get(`${site}/cocina/nevera`) !== undefined, 5000, 'the fridge');
    // Silence: with a 1 s expected interval and the registry's floors lowered, a sweep finds it stale then offline.
    service.updateMeta(`${site}/cocina/nevera`, { expectedIntervalMs: 1000 });
    Object.assign(service.registry.options, { minStaleMs: 0, minOfflineMs: 0 });
    await waitFor(() => events.some((e) => e.type === 'stale' && e.deviceId === `${site}/cocina/nevera`), 15000, 'stale');
    await waitFor(() => events.some((e) => e.type === 'offline' && e.deviceId === `${site}/cocina/nevera`), 20000, 'offline');
    await services.mqtt.publishAsync(`${site}/cocina/nevera/temperature`, '4.6', { qos: 1 });
    await waitFor(() => events.some((e) => e.type === 'online' && /silence/.test(e.reason)), 5000, 'online again');

    // A last will: the parser's availability event takes it offline at once, online brings it back.
    service.observeDeviceEvents([
      { kind: 'availability', deviceId: `${site}/cocina/nevera`, site, room: 'cocina', device: 'nevera', profile: 'octopus', state: 'offline', native: 'offline', ts: Date.now() },
    ]);
    assert.equal(service.registry.get(`${site}/cocina/nevera`)?.state, 'offline');
    await services.mqtt.publishAsync(`${site}/cocina/nevera/temperature`, '4.7', { qos: 1 });
    await waitFor(() => service.registry.get(`${site}/cocina/nevera`)?.state === 'online', 5000, 'online after LWT');
  });

  it('a command to a simulated light goes pending → confirmed; one nobody answers ends in timeout; an invalid one is refused and not published', async () => {
    const site = `cmd-${randomUUID().slice(0, 6)}`;
    await load(site, { commandTimeoutS: 2 });
    const service = serviceOf();
    const outcomes = collect<TrackedCommand>('outcomes');
    const errors: string[] = [];
    (helper.getNode('errors') as unknown as TestNode).on('input', (msg) => errors.push(String((msg as unknown as { error: { message: string } }).error.message)));

    // The light: reports its state, obeys …/on/set by reporting the new state.
    const light = await connectAsync(MQTT_TEST_URL, { clientId: `light-${randomUUID()}` });
    const published: string[] = [];
    await light.subscribeAsync(`${site}/#`);
    light.on('message', (topic, payload) => {
      published.push(topic);
      if (topic === `${site}/salon/luz/on/set`) void light.publishAsync(`${site}/salon/luz/on`, payload.toString(), { qos: 1 });
    });
    try {
      await light.publishAsync(`${site}/salon/luz/on`, 'false', { qos: 1 });
      await light.publishAsync(`${site}/salon/mudo/on`, 'false', { qos: 1 });
      await waitFor(() => service.registry.get(`${site}/salon/mudo`) !== undefined && service.registry.get(`${site}/salon/luz`) !== undefined, 5000, 'the lights');
      assert.equal(service.updateMeta(`${site}/salon/luz`, { controls: { on: { kind: 'switch' } } }).ok, true);
      assert.equal(service.updateMeta(`${site}/salon/mudo`, { controls: { on: { kind: 'switch' }, level: { kind: 'level', min: 0, max: 100, step: 1 } } }).ok, true);

      const command = helper.getNode('command') as unknown as TestNode;
      command.receive({ payload: { device: `${site}/salon/luz`, attribute: 'on', value: 'on' } });
      await waitFor(() => outcomes.some((c) => c.status === 'confirmed'), 5000, 'confirmed');
      assert.deepEqual(outcomes.map((c) => c.status), ['pending', 'confirmed']);
      assert.equal(outcomes[1].value, true);
      assert.equal(outcomes[1].topic, `${site}/salon/luz/on/set`);

      // The mute light never answers.
      command.receive({ payload: { device: `${site}/salon/mudo`, attribute: 'level', value: 40 } });
      await waitFor(() => outcomes.some((c) => c.status === 'timeout'), 6000, 'timeout');
      assert.match(outcomes.find((c) => c.status === 'timeout')?.detail ?? '', /no report of 40 within 2 s/);

      const before = published.length;
      command.receive({ payload: { device: `${site}/salon/mudo`, attribute: 'level', value: 140 } });
      command.receive({ payload: { device: `${site}/salon/mudo`, attribute: 'colour', value: 'red' } });
      command.receive({ payload: { device: `${site}/nowhere`, attribute: 'on', value: true } });
      await waitFor(() => errors.length === 3, 5000, 'three refusals');
      assert.match(errors[0], /140 is out of range for "level": 0 to 100/);
      assert.match(errors[1], /attribute "colour" .* is not controllable \(controllable: on, level\)/);
      assert.match(errors[2], /unknown device/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(published.slice(before).filter((t) => t.endsWith('/set')).length, 0, 'nothing published for refused commands');

      const history = await service.commandHistory(`${site}/salon/luz`);
      assert.deepEqual(history.map((c) => [c.status, c.requestedBy.startsWith('flow:')]), [['confirmed', true]]);
    } finally {
      await light.endAsync();
    }
  });
});
