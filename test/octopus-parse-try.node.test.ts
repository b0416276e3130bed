/**
 * The parse node's issue #17 settings and admin routes in the real Node-RED runtime: topic
 * templates and a Tasmota FullTopic from the node's config, the last 50 messages it saw, and
 * "try a message" with settings that were never deployed. (The permission guard needs the
 * editor's login, which this runtime has not: test/parse-try.browser.test.ts checks it on the app.)
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import helper from 'node-red-node-test-helper';
import type { ParseResult } from '../lib/model/reading';
import { isReadingBatch } from '../lib/ingest/5-reading-batch';
import { waitFor } from './support/env';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseNode = require('../nodes/octopus-parse/octopus-parse');

helper.init(require.resolve('node-red'));

const NOW = Date.parse('2026-11-23T10:00:00Z');

interface Receiver {
  receive: (msg: object) => void;
  on: (event: 'input', listener: (msg: NodeMessage & { payload: unknown }) => void) => void;
  error: (e: unknown) => void;
}

function node(id: string): Receiver {
  const n = helper.getNode(id) as unknown as Receiver | null;
  assert.ok(n, `node ${id} is loaded`);
  return n;
}

function flow(extra: Record<string, unknown>) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'parse', z: 'tab', type: 'octopus-parse', maxPayloadBytes: 65536, wires: [['readings'], ['rejects'], ['events']], ...extra },
    { id: 'readings', z: 'tab', type: 'helper' },
    { id: 'rejects', z: 'tab', type: 'helper' },
    { id: 'events', z: 'tab', type: 'helper' },
  ];
}

function collect(id: string): Array<NodeMessage & { payload: unknown }> {
  const seen: Array<NodeMessage & { payload: unknown }> = [];
  node(id).on('input', (m) => seen.push(m));
  return seen;
}

describe('octopus-parse: templates, FullTopic, try a message (Node-RED runtime)', function () {
  this.timeout(10000);
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('reads topics by its templates and its Tasmota FullTopic, as configured', async () => {
    await helper.load(parseNode, flow({ templates: '// ESPEasy\n/{device}/{sensor}/{attribute}', tasmotaFullTopic: 'casa1/%prefix%/%topic%/', tasmotaPrefixes: '' }));
    const readings = collect('readings');
    const events = collect('events');
    node('parse').receive({ topic: '/ESP_Easy/BME280/Temperature', payload: Buffer.from('21.37'), receivedAt: NOW });
    node('parse').receive({ topic: 'casa1/tele/plug1/SENSOR', payload: Buffer.from('{"ENERGY":{"Power":[40,12]}}'), receivedAt: NOW });
    node('parse').receive({ topic: 'casa1/tele/plug1/LWT', payload: Buffer.from('Online'), receivedAt: NOW });
    await waitFor(() => readings.length === 2 && events.length === 1, 5000, 'two reading messages and one event');
    const all = readings
      .flatMap((m) => {
        // output 1 carries a columnar ReadingBatch (issue #23): its plain readings, as a flow reads them
        assert.ok(isReadingBatch(m.payload), 'output 1 carries a ReadingBatch');
        return m.payload.readings();
      })
      .map((r) => [r.deviceId, r.attribute, r.value]);
    assert.deepEqual(all, [
      ['home/ESP_Easy', 'BME280.Temperature', 21.37],
      ['tasmota:casa1/plug1', 'ENERGY.Power.0', 40],
      ['tasmota:casa1/plug1', 'ENERGY.Power.1', 12],
    ]);
  });

  it('a template that does not compile stops the node with the reason; every message fails', async () => {
    await helper.load(parseNode, flow({ templates: '{site}/{attribute}' }));
    const errors: string[] = [];
    const n = node('parse');
    n.error = (e) => errors.push(String(e));
    n.receive({ topic: 'a/b/c/d', payload: '1' });
    await waitFor(() => errors.length === 1, 5000, 'the error');
    assert.match(errors[0], /topic templates: line 1: template "\{site\}\/\{attribute\}" names no device/);
  });

  it('GET /octopus-parse/:id/recent: the last 50 messages it saw, newest first; POST /octopus-parse/try reads with undeployed settings', async () => {
    await helper.load(parseNode, flow({}));
    const rejects = collect('rejects');
    for (let i = 0; i < 55; i++) node('parse').receive({ topic: `casa/salon/termo${i}/temperature`, payload: Buffer.from(String(20 + i)), receivedAt: NOW + i });
    node('parse').receive({ topic: '/ESP_Easy/BME280/Temperature', payload: Buffer.from('21.37'), receivedAt: NOW + 100 });
    await waitFor(() => rejects.length === 1, 5000, 'the ESPEasy topic refused by the deployed settings');
    const recent = await helper.request().get('/octopus-parse/parse/recent').expect(200);
    const messages = (recent.body as { deployed: boolean; messages: Array<{ topic: string; payload: string; receivedAt: number }> }).messages;
    assert.equal((recent.body as { deployed: boolean }).deployed, true);
    assert.deepEqual([messages.length, messages[0].topic, messages[0].payload, messages[1].topic, messages[49].topic], [
      50,
      '/ESP_Easy/BME280/Temperature',
      '21.37',
      'casa/salon/termo54/temperature',
      'casa/salon/termo6/temperature',
    ]);

    // the operator pastes the refused message and adds a template, without deploying
    const tried = await helper
      .request()
      .post('/octopus-parse/try')
      .send({ topic: messages[0].topic, payload: messages[0].payload, config: { templates: '/{device}/{sensor}/{attribute}', maxPayloadBytes: 65536 } })
      .expect(200);
    const result = (tried.body as { result: ParseResult }).result;
    assert.deepEqual(result.readings.map((r) => [r.deviceId, r.attribute, r.value]), [['home/ESP_Easy', 'BME280.Temperature', 21.37]]);
    assert.equal(result.template, '/{device}/{sensor}/{attribute}');
    // and with the settings as deployed it is refused, with the reason
    const asDeployed = await helper.request().post('/octopus-parse/try').send({ topic: messages[0].topic, payload: messages[0].payload, config: {} }).expect(200);
    assert.deepEqual((asDeployed.body as { result: ParseResult }).result.rejects.map((r) => r.code), ['topic-empty-level']);

    const bad = await helper.request().post('/octopus-parse/try').send({ topic: 'a/b/c/d', payload: '1', config: { tasmotaFullTopic: '%topic%/' } }).expect(400);
    assert.deepEqual(bad.body, { error: { code: 'invalid-config', message: 'Tasmota: FullTopic "%topic%/" needs %prefix% exactly once' } });
    const notJson = await helper.request().post('/octopus-parse/try').set('Content-Type', 'text/plain').send('hello').expect(415);
    assert.equal((notJson.body as { error: { code: string } }).error.code, 'invalid-body');
    await helper.request().get('/octopus-parse/..%2F/recent').expect(400);
    const unknown = await helper.request().get('/octopus-parse/nope/recent').expect(200);
    assert.deepEqual(unknown.body, { deployed: false, messages: [] });
  });

  it('forgets its messages when it is removed', async () => {
    await helper.load(parseNode, flow({}));
    node('parse').receive({ topic: 'casa/salon/termo/temperature', payload: Buffer.from('21'), receivedAt: NOW });
    await waitFor(async () => ((await helper.request().get('/octopus-parse/parse/recent')).body as { messages: unknown[] }).messages.length === 1, 5000, 'the message kept');
    await helper.unload();
    const after = await helper.request().get('/octopus-parse/parse/recent').expect(200);
    assert.deepEqual(after.body, { deployed: false, messages: [] });
  });
});
