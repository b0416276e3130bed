import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import helper from 'node-red-node-test-helper';
import { createMessageAck, type MessageAck } from '../lib/ingest/3-message-ack';
import type { DeviceEvent, Reading, Reject } from '../lib/model/reading';
import { isReadingBatch } from '../lib/ingest/5-reading-batch';
import { waitFor } from './support/env';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseNode = require('../nodes/octopus-parse/octopus-parse');

helper.init(require.resolve('node-red'));

interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** The parts of a node under test that the tests watch. */
interface WatchedNode {
  status: (s: Status) => void;
  warn: (w: unknown) => void;
  error: (e: unknown) => void;
  receive: (msg: object) => void;
  on: (event: 'input', listener: (msg: OutMessage) => void) => void;
}

function node(id: string): WatchedNode {
  const n = helper.getNode(id) as unknown as WatchedNode | null;
  assert.ok(n, `node ${id} is loaded`);
  return n;
}

interface OutMessage extends NodeMessage {
  payload: unknown;
  rejects?: Reject[];
  error?: { code: string; message: string };
  octopusAck?: MessageAck;
  receivedAt?: number;
  qos?: number;
}

const NOW = Date.parse('2026-11-23T10:00:00Z');

/** Output 1 carries a columnar ReadingBatch (issue #23); its plain readings, as a flow reads them. */
function readingsOf(payload: unknown): Reading[] {
  assert.ok(isReadingBatch(payload), 'output 1 carries a ReadingBatch');
  assert.deepEqual([...payload], payload.readings(), 'iterating gives the same plain readings');
  assert.deepEqual(JSON.parse(JSON.stringify(payload)), JSON.parse(JSON.stringify(payload.readings())), 'JSON is the plain reading list');
  return payload.readings();
}

function flow(extra: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'parse', z: 'tab', type: 'octopus-parse', name: 'sensor parser', maxPayloadBytes: 65536, wires: [['readings'], ['rejects']], ...extra },
    { id: 'readings', z: 'tab', type: 'helper' },
    { id: 'rejects', z: 'tab', type: 'helper' },
  ];
}

/** A parse node with all three outputs wired to helpers. */
function flow3(extra: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'parse', z: 'tab', type: 'octopus-parse', name: 'sensor parser', maxPayloadBytes: 65536, wires: [['readings'], ['rejects'], ['events']], ...extra },
    { id: 'readings', z: 'tab', type: 'helper' },
    { id: 'rejects', z: 'tab', type: 'helper' },
    { id: 'events', z: 'tab', type: 'helper' },
  ];
}

/** Collects what reaches a helper node. */
function collect(id: string): OutMessage[] {
  const seen: OutMessage[] = [];
  node(id).on('input', (msg) => seen.push(msg));
  return seen;
}

/** Records every status and warning the node sets. */
function spy(n: WatchedNode): { statuses: Status[]; warnings: string[] } {
  const statuses: Status[] = [];
  const warnings: string[] = [];
  const status = n.status.bind(n);
  n.status = (s) => {
    statuses.push(s);
    status(s);
  };
  n.warn = (w) => {
    warnings.push(String(w));
  };
  return { statuses, warnings };
}

describe('octopus-parse node (Node-RED runtime)', function () {
  this.timeout(10000);

  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('loads with its name', async () => {
    await helper.load(parseNode, flow());
    const n = helper.getNode('parse') as Node & { name?: string };
    assert.equal(n.name, 'sensor parser');
    assert.equal(n.type, 'octopus-parse');
  });

  it('sends readings on output 1, with the other message properties copied', async () => {
    await helper.load(parseNode, flow());
    const readings = collect('readings');
    const rejects = collect('rejects');
    const parser = node('parse');
    parser.receive({ topic: 'oficina/servidores/servidor1/temperatura', payload: Buffer.from('21.5'), receivedAt: NOW, qos: 1 });
    await waitFor(() => readings.length === 1, 5000, 'a reading');
    const expected: Reading = {
      deviceId: 'oficina/servidores/servidor1',
      site: 'oficina',
      room: 'servidores',
      device: 'servidor1',
      attribute: 'temperatura',
      value: 21.5,
      ts: NOW,
      deviceTs: false,
    };
    assert.deepEqual(readingsOf(readings[0].payload), [expected]);
    assert.equal(readings[0].topic, 'oficina/servidores/servidor1/temperatura');
    assert.equal(readings[0].receivedAt, NOW);
    assert.equal(readings[0].qos, 1);
    assert.equal(rejects.length, 0);
  });

  it('sends a reject on output 2 with the code, the reason and the original payload, and releases the ack there', async () => {
    await helper.load(parseNode, flow());
    const readings = collect('readings');
    const rejects = collect('rejects');
    let acked = 0;
    const ack = createMessageAck(() => acked++);
    node('parse').receive({ topic: 'casa/salon/termo/temperature', payload: Buffer.from('NaN'), octopusAck: ack, receivedAt: NOW });
    await waitFor(() => rejects.length === 1, 5000, 'a reject');
    const out = rejects[0];
    assert.equal(readings.length, 0);
    assert.equal(out.topic, 'casa/salon/termo/temperature');
    assert.deepEqual(out.payload, Buffer.from('NaN'));
    assert.equal(out.rejects?.length, 1);
    assert.equal(out.rejects?.[0].code, 'value-not-finite');
    assert.deepEqual(out.error, { code: 'value-not-finite', message: out.rejects?.[0].reason });
    assert.equal(acked, 0);
    out.octopusAck?.release();
    assert.equal(acked, 1, 'one holder: released by the reject path alone');
  });

  it('splits a partly bad payload over both outputs; the ack settles only after both release', async () => {
    await helper.load(parseNode, flow());
    const readings = collect('readings');
    const rejects = collect('rejects');
    let acked = 0;
    const ack = createMessageAck(() => acked++);
    node('parse').receive({
      topic: 'casa/salon/termo',
      payload: Buffer.from('{"temperature":21.5,"humidity":null,"ts":1795000000}'),
      octopusAck: ack,
      receivedAt: NOW,
    });
    await waitFor(() => readings.length === 1 && rejects.length === 1, 5000, 'both outputs');
    assert.deepEqual(
      readingsOf(readings[0].payload).map((r) => [r.attribute, r.value, r.ts, r.deviceTs]),
      [['temperature', 21.5, 1795000000000, true]],
    );
    assert.deepEqual(rejects[0].rejects?.map((r) => [r.code, r.attribute]), [['value-invalid', 'humidity']]);
    assert.deepEqual(rejects[0].payload, Buffer.from('{"temperature":21.5,"humidity":null,"ts":1795000000}'));
    readings[0].octopusAck?.release();
    assert.equal(acked, 0, 'the reject part still holds it');
    assert.equal(ack.settled(), false);
    rejects[0].octopusAck?.release();
    assert.equal(acked, 1);
    rejects[0].octopusAck?.release();
    assert.equal(acked, 1, 'settles once');
  });

  it('accepts a string, number or boolean payload and an already parsed object', async () => {
    await helper.load(parseNode, flow());
    const readings = collect('readings');
    const parser = node('parse');
    parser.receive({ topic: 'a/b/c/t', payload: ' 7 ', receivedAt: NOW });
    parser.receive({ topic: 'a/b/c/n', payload: 42, receivedAt: NOW });
    parser.receive({ topic: 'a/b/c/on', payload: true, receivedAt: NOW });
    parser.receive({ topic: 'a/b/c/u', payload: { value: 3, unit: '°C' }, receivedAt: NOW });
    await waitFor(() => readings.length === 4, 5000, 'four readings');
    assert.deepEqual(
      readings.map((m) => readingsOf(m.payload).map((r) => [r.attribute, r.value, r.unit])[0]),
      [
        ['t', 7, undefined],
        ['n', 42, undefined],
        ['on', true, undefined],
        ['u', 3, '°C'],
      ],
    );
  });

  it('applies the configured payload limit', async () => {
    await helper.load(parseNode, flow({ maxPayloadBytes: '4' }));
    const rejects = collect('rejects');
    node('parse').receive({ topic: 'a/b/c/d', payload: Buffer.from('12345') });
    await waitFor(() => rejects.length === 1, 5000, 'a reject');
    assert.equal(rejects[0].error?.code, 'payload-too-large');
    assert.match(rejects[0].error?.message ?? '', /5 bytes, more than the limit of 4/);
  });

  it('shows the counts in its status (at most every 500 ms) and rate-limits the reject log', async () => {
    await helper.load(parseNode, flow());
    const rejects = collect('rejects');
    const parser = node('parse');
    const { statuses, warnings } = spy(parser);
    for (let i = 0; i < 200; i++) parser.receive({ topic: 'a/b/c/d', payload: String(i), receivedAt: NOW });
    for (let i = 0; i < 50; i++) parser.receive({ topic: 'a/b/c', payload: 'x', receivedAt: NOW });
    const started = Date.now();
    await waitFor(() => rejects.length === 50, 5000, 'the rejects');
    await waitFor(() => statuses.some((s) => s.text?.startsWith('200 readings · 50 rejected')), 3000, 'the counts');
    // drawn by a timer, not per message: 250 messages give one draw (two if the burst straddled a tick)
    assert.ok(statuses.length <= 1 + Math.ceil((Date.now() - started) / 500), `${statuses.length} draws`);
    const red = statuses[statuses.length - 1];
    assert.deepEqual({ fill: red.fill, shape: red.shape }, { fill: 'red', shape: 'ring' });
    assert.ok(red.text?.startsWith('200 readings · 50 rejected · last: topic-depth: topic "a/b/c" has 3 levels'), red.text);
    // after a quiet interval it turns green with the same counts
    const draws = statuses.length;
    await waitFor(() => statuses.length === draws + 1, 2000, 'the green status');
    assert.deepEqual(statuses[draws], { fill: 'green', shape: 'dot', text: '200 readings · 50 rejected' });
    assert.equal(warnings.length, 1, 'one log line for 50 rejects');
    assert.match(warnings[0], /^rejected "a\/b\/c": topic-depth: /);
  });

  it('refuses an invalid limit: every message fails and nothing is acknowledged', async () => {
    await helper.load(parseNode, flow({ maxPayloadBytes: 'lots' }));
    const parser = node('parse');
    const errors: string[] = [];
    parser.error = (e) => {
      errors.push(e instanceof Error ? e.message : String(e));
    };
    let acked = 0;
    parser.receive({ topic: 'a/b/c/d', payload: '1', octopusAck: createMessageAck(() => acked++) });
    await waitFor(() => errors.length === 1, 5000, 'the error');
    assert.match(errors[0], /max payload lots is not a whole number of bytes/);
    assert.equal(acked, 0);
  });

  describe('firmware profiles and device events (output 3)', () => {
    it('has three outputs; a Tasmota LWT goes to output 3 only, not to rejects, and its ack is released once sent', async () => {
      await helper.load(parseNode, flow3());
      const readings = collect('readings');
      const rejects = collect('rejects');
      const events = collect('events');
      let acked = 0;
      node('parse').receive({ topic: 'tele/plug-kitchen/LWT', payload: Buffer.from('Offline'), octopusAck: createMessageAck(() => acked++), receivedAt: NOW });
      await waitFor(() => events.length === 1, 5000, 'an event');
      const out = events[0];
      assert.equal(out.topic, 'tele/plug-kitchen/LWT');
      assert.deepEqual(out.payload, [
        {
          kind: 'availability',
          deviceId: 'tasmota:plug-kitchen',
          site: 'home',
          room: '',
          device: 'plug-kitchen',
          profile: 'tasmota',
          state: 'offline',
          native: 'Offline',
          ts: NOW,
        },
      ]);
      assert.equal(out.octopusAck, undefined, 'events carry no ack: nothing downstream may release it');
      assert.equal(acked, 1, 'released when sent: events are informational');
      assert.equal(readings.length + rejects.length, 0);
    });

    it('readings of a firmware device on output 1 with the configured site; metadata of the same message on output 3; the ack waits for the readings', async () => {
      await helper.load(parseNode, flow3({ site: 'oficina' }));
      const readings = collect('readings');
      const events = collect('events');
      let acked = 0;
      const ack = createMessageAck(() => acked++);
      node('parse').receive({
        topic: 'stat/plug-kitchen/STATUS0',
        payload: Buffer.from(
          '{"Status":{"Module":1,"DeviceName":"Kitchen plug","FriendlyName":["Kitchen plug"],"Topic":"plug-kitchen"},"StatusFWR":{"Version":"13.2.0(tasmota)","Hardware":"ESP8266EX"},"StatusNET":{"Hostname":"plug-kitchen","IPAddress":"192.168.1.60","Mac":"A4:CF:12:AB:CD:EF"},"StatusSNS":{"Time":"2026-11-23T10:59:00","ENERGY":{"Power":12,"Voltage":231}}}',
        ),
        octopusAck: ack,
        receivedAt: NOW,
      });
      await waitFor(() => readings.length === 1 && events.length === 1, 5000, 'both outputs');
      assert.deepEqual(
        readingsOf(readings[0].payload).map((r) => [r.deviceId, r.site, r.attribute, r.value, r.unit]),
        [
          ['tasmota:plug-kitchen', 'oficina', 'ENERGY.Power', 12, 'W'],
          ['tasmota:plug-kitchen', 'oficina', 'ENERGY.Voltage', 231, 'V'],
        ],
      );
      const [device] = events[0].payload as DeviceEvent[];
      assert.deepEqual(device.kind === 'device' ? [device.name, device.firmware, device.ip, device.mac] : [], ['Kitchen plug', '13.2.0(tasmota)', '192.168.1.60', 'A4:CF:12:AB:CD:EF']);
      assert.equal(acked, 0, 'the readings part still holds it');
      readings[0].octopusAck?.release();
      assert.equal(acked, 1);
    });

    it('a message that is not telemetry (a Zigbee2MQTT log line) goes nowhere and is acknowledged at once', async () => {
      await helper.load(parseNode, flow3());
      const all = [collect('readings'), collect('rejects'), collect('events')];
      let acked = 0;
      const parser = node('parse');
      const { statuses } = spy(parser);
      parser.receive({ topic: 'zigbee2mqtt/bridge/logging', payload: Buffer.from('{"level":"info","message":"Zigbee: allowing new devices to join."}'), octopusAck: createMessageAck(() => acked++) });
      await waitFor(() => acked === 1, 5000, 'the ack');
      await waitFor(() => statuses.some((s) => s.text === '0 readings · 0 rejected · 1 ignored'), 3000, 'the ignored count');
      assert.deepEqual(all.map((x) => x.length), [0, 0, 0]);
    });

    it('a profile override: only Tasmota enabled, a plain topic is refused as unknown', async () => {
      await helper.load(parseNode, flow3({ profiles: 'tasmota' }));
      const rejects = collect('rejects');
      node('parse').receive({ topic: 'casa/salon/termo/temperature', payload: Buffer.from('21.5'), receivedAt: NOW });
      await waitFor(() => rejects.length === 1, 5000, 'a reject');
      assert.equal(rejects[0].error?.code, 'topic-unknown');
    });

    it('each node keeps its own discovery context', async () => {
      await helper.load(parseNode, [
        ...flow3(),
        { id: 'parse2', z: 'tab', type: 'octopus-parse', wires: [['readings2'], ['rejects2'], []] },
        { id: 'readings2', z: 'tab', type: 'helper' },
        { id: 'rejects2', z: 'tab', type: 'helper' },
      ]);
      const readings = collect('readings');
      const readings2 = collect('readings2');
      const config = Buffer.from('{"device_class":"motion","state_topic":"homeassistant/binary_sensor/garden/state","unique_id":"motion01ad","device":{"identifiers":["01ad"],"name":"Garden"}}');
      node('parse').receive({ topic: 'homeassistant/binary_sensor/garden/config', payload: config, receivedAt: NOW });
      node('parse').receive({ topic: 'homeassistant/binary_sensor/garden/state', payload: Buffer.from('ON'), receivedAt: NOW });
      node('parse2').receive({ topic: 'homeassistant/binary_sensor/garden/state', payload: Buffer.from('ON'), receivedAt: NOW });
      await waitFor(() => readings.length === 1 && readings2.length === 1, 5000, 'a reading on each node');
      assert.deepEqual(readingsOf(readings[0].payload).map((r) => [r.deviceId, r.value]), [['ha:01ad', true]]);
      // the second saw no config: it reads HA's default state topic (issue #17) on the object's own device, not the first's ha:01ad
      assert.deepEqual(readingsOf(readings2[0].payload).map((r) => [r.deviceId, r.value]), [['ha:garden', true]]);
    });

    it('refuses an unknown profile name: every message fails and nothing is acknowledged', async () => {
      await helper.load(parseNode, flow3({ profiles: 'octopus,zigbee' }));
      const parser = node('parse');
      const errors: string[] = [];
      parser.error = (e) => {
        errors.push(e instanceof Error ? e.message : String(e));
      };
      let acked = 0;
      parser.receive({ topic: 'a/b/c/d', payload: '1', octopusAck: createMessageAck(() => acked++) });
      await waitFor(() => errors.length === 1, 5000, 'the error');
      assert.match(errors[0], /unknown profile "zigbee"/);
      assert.equal(acked, 0);
    });
  });
});
