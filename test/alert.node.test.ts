import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connectAsync } from 'mqtt';
import type { NodeAPI } from 'node-red';
import helper from 'node-red-node-test-helper';
import { Client } from 'pg';
import type { Alert } from '../lib/alerts/alert-engine';
import type { AlertRule } from '../lib/alerts/rules';
import { login, TEST_ADMIN, type Session } from './support/auth';
import { useRealServices } from './support/node-red-services';
import { MQTT_TEST_URL, waitFor } from './support/env';
/* eslint-disable @typescript-eslint/no-require-imports */
const alertModule = require('../nodes/octopus-alert/octopus-alert') as (RED: NodeAPI) => void;
/** The routes go on Node-RED's httpNode, a new app per helper.load(): keep the latest to serve it. */
let httpNode: RequestListener | undefined;
const nodes = [
  require('../nodes/octopus-broker/octopus-broker'),
  require('../nodes/octopus-postgres/octopus-postgres'),
  require('../nodes/octopus-mqtt-in/octopus-mqtt-in'),
  require('../nodes/octopus-parse/octopus-parse'),
  require('../nodes/octopus-store/octopus-store'),
  (RED: NodeAPI) => {
    httpNode = RED.httpNode as unknown as RequestListener;
    alertModule(RED);
  },
  require('@node-red/nodes/core/common/25-catch.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/function/15-change.js'),
  require('@node-red/nodes/core/function/80-template.js'),
  require('@node-red/nodes/core/network/21-httpin.js'),
  require('@node-red/nodes/core/network/21-httprequest.js'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(require.resolve('node-red'));

type AlertPayload = Alert & { transition: string; by?: string; note?: string; previousSeverity?: string; topic: string };

interface TestNode {
  receive(msg: object): void;
  on(event: 'input', cb: (msg: { payload: unknown; topic?: string; error?: { message: string } }) => void): void;
}

const RULES: AlertRule[] = [
  { id: 'hot', name: 'Too hot', attribute: 'temperature', condition: 'above', threshold: 30, deadband: 2, forReadings: 2, escalate: [{ severity: 'critical', threshold: 40 }] },
  { id: 'door', attribute: 'contact', condition: 'equals', value: 'open', severity: 'info', message: '{device} is {value}' },
];

/** The default flow's ingest (mqtt in → parse → store) with the alert node beside the store, as the default flow wires it. */
function flow(site: string, prefix: string) {
  return [
    { id: 'tab', type: 'tab', label: 'alert test' },
    { id: 'broker', type: 'octopus-broker', name: 'test broker', url: MQTT_TEST_URL, clientId: `alert-${randomUUID().slice(0, 8)}` },
    { id: 'pg', type: 'octopus-postgres', name: 'test database', poolSize: 3 },
    { id: 'in', z: 'tab', type: 'octopus-mqtt-in', broker: 'broker', topics: `${site}/+/+/+`, qos: 1, ackMode: 'after-store', maxInFlight: 1000, wires: [['parse']] },
    { id: 'parse', z: 'tab', type: 'octopus-parse', wires: [['store', 'alert'], ['store'], []] },
    { id: 'store', z: 'tab', type: 'octopus-store', database: 'pg', batchSize: 100, batchWaitMs: 20, wires: [] },
    { id: 'alert', z: 'tab', type: 'octopus-alert', database: 'pg', broker: 'broker', topicPrefix: prefix, rules: JSON.stringify(RULES), repeatS: 0, quietHours: '', wires: [['events']] },
    { id: 'events', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: ['alert'], uncaught: false, wires: [['errors']] },
    { id: 'errors', z: 'tab', type: 'helper' },
  ];
}

describe('octopus-alert in Node-RED (real broker, real Postgres)', function () {
  this.timeout(60000);
  const services = useRealServices('alert-dev');
  let server: Server | undefined;
  let baseUrl = '';
  // The API needs a signed-in caller: the postgres node's user store gets this operator from the environment.
  let operator: Session | undefined;
  const savedAdmin = [process.env.OCTOPUS_ADMIN_USER, process.env.OCTOPUS_ADMIN_PASSWORD];
  before(() => {
    process.env.OCTOPUS_ADMIN_USER = TEST_ADMIN.username;
    process.env.OCTOPUS_ADMIN_PASSWORD = TEST_ADMIN.password;
  });
  after(() => {
    for (const [k, v] of [['OCTOPUS_ADMIN_USER', savedAdmin[0]], ['OCTOPUS_ADMIN_PASSWORD', savedAdmin[1]]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function load(site: string, prefix: string, flowNodes: object[] = flow(site, prefix)): Promise<{ events: AlertPayload[]; errors: string[] }> {
    await helper.load(nodes, flowNodes as never);
    const app = httpNode;
    assert.ok(app, 'the alert module registered its routes on httpNode');
    server = createServer(app);
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const events: AlertPayload[] = [];
    const errors: string[] = [];
    (helper.getNode('events') as unknown as TestNode | null)?.on('input', (msg) => events.push({ ...(msg.payload as AlertPayload), topic: String(msg.topic) }));
    (helper.getNode('errors') as unknown as TestNode | null)?.on('input', (msg) => errors.push(String(msg.error?.message)));
    operator = await login(baseUrl);
    // Ready once the API answers (the state is loaded) and the source has subscribed.
    await waitFor(async () => (await operator!.fetch('/api/v1/alerts')).status === 200, 10000, 'the alert state to load');
    await new Promise((r) => setTimeout(r, 300));
    return { events, errors };
  }

  async function api(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
    assert.ok(operator, 'signed in');
    const res = await operator.fetch(path, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function storedReadings(deviceId: string): Promise<number> {
    const c = new Client({ connectionString: services.db.url });
    await c.connect();
    try {
      return (await c.query<{ n: number }>('select count(*)::int as n from readings where device_id = $1', [deviceId])).rows[0].n;
    } finally {
      await c.end();
    }
  }

  const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('readings through the flow raise, escalate, get acknowledged over the API and clear: exactly those events, mirrored retained on MQTT', async () => {
    const site = `al-${randomUUID().slice(0, 6)}`;
    const prefix = `t${randomUUID().slice(0, 6)}`;
    const alertTopic = `${prefix}/alerts/${site}/termo/temperature`;
    const mqttSeen: Array<{ topic: string; payload: string; retain: boolean }> = [];
    const watcher = await connectAsync(MQTT_TEST_URL, { clientId: `alert-watch-${randomUUID()}` });
    watcher.on('message', (topic, payload, packet) => mqttSeen.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await watcher.subscribeAsync(`${prefix}/alerts/#`, { qos: 1 });
    try {
      const { events } = await load(site, prefix);
      const send = (attr: string, value: string) => services.mqtt.publishAsync(`${site}/salon/termo/${attr}`, value, { qos: 1 });

      await send('temperature', '31');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(events.length, 0, 'one reading over the limit is not enough (forReadings 2)');
      await send('temperature', '31.5');
      await waitFor(() => events.length === 1, 5000, 'raised');
      const raised = events[0];
      assert.equal(raised.transition, 'raised');
      assert.equal(raised.topic, `alert/raised/${site}/salon/termo/temperature`);
      assert.deepEqual([raised.severity, raised.state, raised.value, raised.message], ['warning', 'active', 31.5, 'termo temperature is 31.5, above 30']);
      // Hovering in the band: nothing.
      for (const v of ['29', '30.5', '28.5', '31']) await send('temperature', v);
      // The critical level needs two readings over 40 too (escalations inherit forReadings).
      await send('temperature', '42');
      await send('temperature', '43');
      await waitFor(() => events.length === 2, 5000, 'escalated');
      assert.deepEqual([events[1].transition, events[1].severity, events[1].previousSeverity], ['escalated', 'critical', 'warning']);

      const open = await api('/api/v1/alerts');
      assert.equal(open.status, 200);
      assert.deepEqual((open.body.alerts as Alert[]).map((a) => [a.id, a.severity, a.state]), [[raised.id, 'critical', 'active']]);
      assert.deepEqual((await api(`/api/v1/alerts?site=${site}&severity=info`)).body, { alerts: [], count: 0 });

      // Recorded in the signed-in user's name, whatever name the body gives.
      const ack = await post(`/api/v1/alerts/${raised.id}/ack`, { by: 'ana', note: 'window open' });
      assert.equal(ack.status, 200);
      assert.deepEqual([(ack.body.alert as Alert).state, (ack.body.alert as Alert).acknowledgedBy], ['acknowledged', TEST_ADMIN.username]);
      await waitFor(() => events.length === 3, 5000, 'acknowledged');
      assert.deepEqual([events[2].transition, events[2].by, events[2].note], ['acknowledged', TEST_ADMIN.username, 'window open']);
      assert.equal((await post(`/api/v1/alerts/${raised.id}/ack`, {})).status, 409);
      assert.deepEqual(await post(`/api/v1/alerts/${raised.id}/ack`, { who: 'x' }), { status: 400, body: { error: 'unknown field "who" (allowed: by, note)' } });
      assert.equal((await post('/api/v1/alerts/nope/ack', {})).status, 404);

      await send('temperature', '28.5');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(events.length, 3, 'still in the band');
      await send('temperature', '27');
      await waitFor(() => events.length === 4, 5000, 'cleared');
      assert.deepEqual([events[3].transition, events[3].state, events[3].clearedBy], ['cleared', 'cleared', 'auto']);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(
        events.map((e) => e.transition),
        ['raised', 'escalated', 'acknowledged', 'cleared'],
        'exactly the transitions, never one per reading',
      );
      assert.equal((await post(`/api/v1/alerts/${raised.id}/clear`, {})).status, 409);

      // MQTT: retained while open (each transition updates it), emptied on clear.
      await waitFor(() => mqttSeen.some((m) => m.payload === ''), 5000, 'the empty retained message');
      const onTopic = mqttSeen.filter((m) => m.topic === alertTopic);
      assert.deepEqual(
        onTopic.map((m) => (m.payload ? `${(JSON.parse(m.payload) as Alert).severity}/${(JSON.parse(m.payload) as Alert).state}` : '(empty)')),
        ['warning/active', 'critical/active', 'critical/acknowledged', '(empty)'],
      );
      const late = await connectAsync(MQTT_TEST_URL, { clientId: `alert-late-${randomUUID()}` });
      const retained: string[] = [];
      late.on('message', (topic) => retained.push(topic));
      await late.subscribeAsync(`${prefix}/alerts/#`, { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      await late.endAsync();
      assert.deepEqual(retained, [], 'nothing retained once cleared');

      const history = await api(`/api/v1/alerts/history?site=${site}&state=cleared`);
      assert.equal(history.status, 200);
      assert.equal(history.body.total, 1);
      const h = (history.body.alerts as Alert[])[0];
      assert.deepEqual([h.id, h.severity, h.acknowledgedBy, h.acknowledgeNote, h.clearedBy, h.value], [raised.id, 'critical', TEST_ADMIN.username, 'window open', 'auto', 27]);
      const detail = await api(`/api/v1/alerts/${raised.id}`);
      assert.deepEqual((detail.body.events as Array<{ type: string }>).map((e) => e.type), ['raised', 'escalated', 'acknowledged', 'cleared']);
      assert.deepEqual(await api('/api/v1/alerts/history?limit=5000'), { status: 400, body: { error: 'query parameter "limit" must be at most 1000, not 5000' } });
      assert.deepEqual(await api('/api/v1/alerts/history?from=yesterday'), {
        status: 400,
        body: { error: 'query parameter "from" must be an ISO 8601 time (2026-11-23T10:00:00Z) or epoch milliseconds' },
      });
      const rows = await operator!.fetch(`/api/v1/alerts/${raised.id}/ack`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(70 * 1024) });
      assert.equal(rows.status, 413);
      // Without a session nothing is served.
      assert.equal((await fetch(`${baseUrl}/api/v1/alerts`)).status, 401);
      assert.equal((await fetch(`${baseUrl}/api/v1/alerts/${raised.id}`)).status, 401);
    } finally {
      await watcher.endAsync();
    }
  });

  it('an active alert survives a Node-RED restart: no second raise, still retained and listed; rules by message are validated', async () => {
    const site = `ar-${randomUUID().slice(0, 6)}`;
    const prefix = `t${randomUUID().slice(0, 6)}`;
    const first = await load(site, prefix);
    await services.mqtt.publishAsync(`${site}/entrada/puerta/contact`, 'open', { qos: 1 });
    await waitFor(() => first.events.length === 1, 5000, 'raised');
    assert.deepEqual([first.events[0].transition, first.events[0].severity, first.events[0].message], ['raised', 'info', 'puerta is open']);
    const id = first.events[0].id;

    // Restart once the store has committed the reading (a batch in flight at unload makes the store wait 10 s).
    await waitFor(async () => (await storedReadings(`${site}/entrada/puerta`)) === 1, 5000, 'the reading stored');
    await helper.unload();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    const second = await load(site, prefix);
    await services.mqtt.publishAsync(`${site}/entrada/puerta/contact`, 'open', { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(second.events.length, 0, `restored, not raised again: ${JSON.stringify(second.events)}`);
    const open = await api(`/api/v1/alerts?site=${site}`);
    assert.deepEqual((open.body.alerts as Alert[]).map((a) => a.id), [id]);
    const retained: Array<{ topic: string; payload: string }> = [];
    const late = await connectAsync(MQTT_TEST_URL, { clientId: `alert-late-${randomUUID()}` });
    late.on('message', (topic, payload) => retained.push({ topic, payload: payload.toString() }));
    await late.subscribeAsync(`${prefix}/alerts/#`, { qos: 1 });
    await waitFor(() => retained.length > 0, 3000, 'the retained alert');
    await late.endAsync();
    assert.equal(retained[0].topic, `${prefix}/alerts/${site}/puerta/contact`);
    assert.equal((JSON.parse(retained[0].payload) as Alert).id, id);

    // Rules by message: a bad list is refused with reasons; a good one replaces the rules (door rule gone → cleared).
    const alertNode = helper.getNode('alert') as unknown as TestNode;
    alertNode.receive({ topic: 'rules', payload: [{ id: 'x', condition: 'above' }] });
    await waitFor(() => second.errors.length === 1, 3000, 'the refusal');
    assert.match(second.errors[0], /rules not applied: rule 1 \("x"\): threshold is required for condition "above"/);
    alertNode.receive({ topic: 'rules', payload: [RULES[0]] });
    await waitFor(() => second.events.length === 1, 3000, 'the door alert cleared');
    assert.deepEqual([second.events[0].transition, second.events[0].id, second.events[0].clearReason], ['cleared', id, 'rule removed']);

    // The editor's check uses the same validation.
    const check = await helper.request().post('/octopus-alert/check-rules').send({ rules: '[{"id": "a", "condition": "below"}]' });
    assert.deepEqual(check.body, { ok: false, errors: ['rule 1 ("a"): threshold is required for condition "below" (e.g. "threshold": 30)'] });
  });
  it('the example flow (examples/10-octopus-alert.json) deploys and notifies: webhook, e-mail text; no unprotected acknowledge link', async () => {
    const site = `ex-${randomUUID().slice(0, 6)}`;
    const example = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'examples', '10-octopus-alert.json'), 'utf8')) as Array<Record<string, unknown>>;
    // Only this test's readings: the shared broker carries other traffic on +/+/+/+.
    for (const n of example) if (n.type === 'octopus-mqtt-in') n.topics = `${site}/+/+/+`;
    // The example's broker node defaults to MQTT_URL or the local 1883: the test's broker is MQTT_TEST_URL.
    for (const n of example) if (n.type === 'octopus-broker') n.url = MQTT_TEST_URL;
    const posted: Array<{ text: string; alert: Alert }> = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body) as { text: string; alert: Alert });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const savedHook = process.env.ALERT_WEBHOOK_URL;
    process.env.ALERT_WEBHOOK_URL = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      await load(site, 'octopus', example);
      const mails: string[] = [];
      const resolved: string[] = [];
      (helper.getNode('ex-alert-email-out') as unknown as TestNode).on('input', (msg) => mails.push(String(msg.payload)));
      (helper.getNode('ex-alert-resolved') as unknown as TestNode).on('input', (msg) => resolved.push((msg.payload as AlertPayload).transition));
      await services.mqtt.publishAsync(`${site}/sotano/sensor-agua/water`, 'true', { qos: 1 });
      await waitFor(() => posted.length === 1 && mails.length === 1, 5000, 'the webhook and the e-mail');
      const id = posted[0].alert.id;
      assert.match(posted[0].text, /^🔴 Water detected by sensor-agua in sotano — acknowledge in http:\/\/localhost:1880\/ui\/#\/alerts$/);
      assert.match(mails[0], /Rule: water-leak/);
      // The unprotected GET /alert-ack is gone: acknowledging takes a signed-in person (or a signed link of octopus-notify).
      assert.equal((await fetch(`${baseUrl}/alert-ack?id=${id}&by=ana`)).status, 404);
      assert.equal((await post(`/api/v1/alerts/${id}/ack`, { note: 'seen' })).status, 200);
      await waitFor(() => resolved.includes('acknowledged'), 5000, 'the acknowledgement');
      const open = await api(`/api/v1/alerts?site=${site}`);
      assert.deepEqual((open.body.alerts as Alert[]).map((a) => a.state), ['acknowledged']);
      // Leave nothing retained on the shared broker.
      assert.equal((await post(`/api/v1/alerts/${id}/clear`, { by: 'test' })).status, 200);
      await waitFor(() => resolved.includes('cleared'), 5000, 'the clear');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      if (savedHook === undefined) delete process.env.ALERT_WEBHOOK_URL;
      else process.env.ALERT_WEBHOOK_URL = savedHook;
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });
});
