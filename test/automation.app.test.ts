import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { startApp, type RunningApp } from './support/app';
import { login, type Session } from './support/auth';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';
import { startMosquitto, type TestBroker } from './support/mosquitto';
import { setTestClock } from './support/test-clock';

/**
 * Home automation against the real app (settings, default flow), Postgres and Mosquitto, with a
 * test clock (the app's Date.now, set by a file): a weekday schedule across the 2027 spring DST
 * change in Madrid, a missed run after a restart, a scene with a silent device, "motion → light on
 * for N seconds" renewed by motion, and a loop refused at save. Devices are simulated by a client
 * that answers each command on the state topic, except the TV, which never answers.
 */
const enc = encodeURIComponent;
const CLOCK = resolve(__dirname, 'support', 'test-clock.js');
const at = (iso: string) => Date.parse(iso);

describe('home automation (real app, Postgres, Mosquitto, test clock)', function () {
  this.timeout(180000);
  const H = `casa-${randomBytes(3).toString('hex')}`;
  const dev = (room: string, name: string) => `${H}/${room}/${name}`;
  const clockFile = join(mkdtempSync(join(tmpdir(), 'octopus-clock-')), 'clock');
  let db: TestDatabase;
  let broker: TestBroker;
  let app: RunningApp;
  let dataDir: string;
  let mqtt: MqttClient;
  let op: Session;
  const commands: Array<{ topic: string; payload: string; real: number }> = [];
  const silent = new Set([`${dev('salon', 'tv')}/on/set`]);

  const start = async () => {
    app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url, OCTOPUS_TEST_CLOCK_FILE: clockFile }, { dataDir, nodeArgs: ['--require', CLOCK] });
    await waitFor(() => /connected to mqtt/.test(app.output()) && /automation: \d+ automations/.test(app.output()), 20000, 'the source and the automation service');
    op = await app.login();
  };
  const sent = (device: string, attribute: string) => commands.filter((c) => c.topic === `${device}/${attribute}/set`);

  before(async () => {
    setTestClock(clockFile, at('2027-03-26T05:59:00Z')); // Friday 06:59 in Madrid (CET)
    db = await createTestDatabase('octopus_automation');
    broker = await startMosquitto();
    dataDir = dataDirWithDefaultFlow((nodes) => {
      nodeOfType(nodes, 'octopus-registry').commandTimeoutS = 2;
    });
    mqtt = await connectAsync(broker.url, { clientId: `automation-${randomUUID()}` });
    await mqtt.subscribeAsync(`${H}/+/+/+/set`, { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      if (!topic.endsWith('/set')) return;
      commands.push({ topic, payload: payload.toString(), real: Date.now() });
      // The device reports its new state, as real ones do; the TV stays silent.
      if (!silent.has(topic)) void mqtt.publishAsync(topic.slice(0, -4), payload.toString(), { qos: 1 });
    });
    await start();
    const readings: Array<[string, string, string]> = [
      [dev('salon', 'luz'), 'on', 'false'],
      [dev('salon', 'plug'), 'on', 'false'],
      [dev('salon', 'tv'), 'on', 'false'],
      [dev('hall', 'luz'), 'on', 'false'],
      [dev('hall', 'pir'), 'motion', 'false'],
      [dev('salon', 'termo'), 'setpoint', '18'],
    ];
    for (const [d, a, v] of readings) await mqtt.publishAsync(`${d}/${a}`, v, { qos: 1 });
    await waitFor(async () => (await op.json('GET', `/api/v1/devices?site=${H}`)).body.total === readings.length, 15000, 'the devices in the registry');
    for (const d of [dev('salon', 'luz'), dev('salon', 'plug'), dev('salon', 'tv'), dev('hall', 'luz')]) {
      assert.equal((await op.json('PATCH', `/api/v1/devices/${enc(d)}`, { controls: { on: { kind: 'switch' } } })).status, 200);
    }
    assert.equal((await op.json('PATCH', `/api/v1/devices/${enc(dev('salon', 'termo'))}`, { controls: { setpoint: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } })).status, 200);
    const loc = await op.json('PUT', `/api/v1/sites/${H}/location`, { name: 'Casa', latitude: 40.4168, longitude: -3.7038, timeZone: 'Europe/Madrid' });
    assert.equal(loc.status, 200, JSON.stringify(loc.body));
  });

  after(async () => {
    await mqtt?.endAsync();
    await app?.stop();
    await broker?.stop();
    await db?.drop();
  });

  it('a weekday 07:00 schedule fires at 07:00 Madrid time on Friday (CET) and on Monday after the DST change (CEST), once each', async () => {
    const made = await op.json('POST', `/api/v1/sites/${H}/schedules`, {
      name: 'heating weekdays',
      action: { type: 'command', deviceId: dev('salon', 'termo'), attribute: 'setpoint' },
      slots: [
        { kind: 'weekly', days: [1, 2, 3, 4, 5], time: '07:00', value: 21 },
        { kind: 'weekly', days: [1, 2, 3, 4, 5], time: '22:00', value: 18 },
      ],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.nextRun, '2027-03-26T06:00:00.000Z');
    const termo = () => sent(dev('salon', 'termo'), 'setpoint');
    setTestClock(clockFile, at('2027-03-26T05:59:58Z'));
    await waitFor(() => termo().length === 1, 10000, 'Friday 07:00 CET run');
    // Through the weekend to Monday 06:59:58 CEST (04:59:58Z): Friday's 22:00 is missed (a jump over it), nothing else.
    setTestClock(clockFile, at('2027-03-29T04:59:58Z'));
    await waitFor(() => termo().length === 2, 10000, 'Monday 07:00 CEST run');
    // An hour later (07:00 CET would have been now): nothing more.
    setTestClock(clockFile, at('2027-03-29T05:59:58Z'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(termo().map((c) => c.payload), ['21', '21']);
    const log = await op.json('GET', `/api/v1/sites/${H}/logbook?kind=schedule`);
    const runs = log.body.items.filter((e: { message: string }) => e.message.includes('ran')).map((e: { at: string }) => e.at.slice(0, 19)).sort();
    assert.equal(runs.length, 2, JSON.stringify(log.body.items));
    assert.ok(runs[0] >= '2027-03-26T06:00:00' && runs[0] <= '2027-03-26T06:00:03', runs[0]);
    assert.ok(runs[1] >= '2027-03-29T05:00:00' && runs[1] <= '2027-03-29T05:00:03', runs[1]);
    assert.ok(log.body.items.some((e: { message: string }) => /missed/.test(e.message)), 'Friday 22:00, jumped over, is logged missed');
  });

  it('a run missed while Octopus was down runs once after the restart, within the grace window', async () => {
    setTestClock(clockFile, at('2027-03-29T06:05:00Z')); // Monday 08:05 CEST
    const made = await op.json('POST', `/api/v1/sites/${H}/schedules`, {
      name: 'plug at 08:10',
      action: { type: 'command', deviceId: dev('salon', 'plug'), attribute: 'on' },
      slots: [{ kind: 'weekly', days: [1, 2, 3, 4, 5, 6, 7], time: '08:10', value: true }],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await app.stop();
    setTestClock(clockFile, at('2027-03-29T06:14:00Z')); // 08:14: the 08:10 run was missed 4 minutes ago
    await start();
    await waitFor(() => sent(dev('salon', 'plug'), 'on').length === 1, 15000, 'the missed run, after the restart');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sent(dev('salon', 'plug'), 'on').length, 1, 'once');
  });

  it('a resident applies a scene: the silent TV times out (after one retry), the others are confirmed', async () => {
    const scene = await op.json('POST', `/api/v1/sites/${H}/scenes`, {
      name: 'Evening',
      targets: [
        { deviceId: dev('salon', 'luz'), attribute: 'on', value: true },
        { deviceId: dev('salon', 'tv'), attribute: 'on', value: true },
      ],
      capture: [{ deviceId: dev('salon', 'termo'), attribute: 'setpoint' }],
    });
    assert.equal(scene.status, 201, JSON.stringify(scene.body));
    const password = randomBytes(18).toString('base64url');
    const made = await op.json('POST', '/api/v1/users', { username: `resident-${H}`, password, sites: { [H]: 'resident' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const resident = await login(app.baseUrl, `resident-${H}`, password);
    assert.equal((await resident.json('POST', `/api/v1/sites/${H}/scenes`, { name: 'nope', targets: [] })).status, 403, 'residents do not edit scenes');
    const applied = await resident.json('POST', `/api/v1/scenes/${scene.body.id}/apply`);
    assert.equal(applied.status, 202, JSON.stringify(applied.body));
    let body: { lastApply: { done: boolean; results: Array<{ deviceId: string; outcome: string; attempts: number }> } } | undefined;
    await waitFor(async () => (body = (await resident.json('GET', `/api/v1/scenes/${scene.body.id}`)).body).lastApply?.done === true, 15000, 'the scene to finish');
    const outcomes = Object.fromEntries(body!.lastApply.results.map((r) => [r.deviceId, `${r.outcome}/${r.attempts}`]));
    assert.deepEqual(outcomes, { [dev('salon', 'luz')]: 'confirmed/1', [dev('salon', 'tv')]: 'timeout/2', [dev('salon', 'termo')]: 'confirmed/1' });
  });

  it('motion → hall light on for 3 s: kept on while motion repeats, off 3 s after the last', async () => {
    const made = await op.json('POST', `/api/v1/sites/${H}/automations`, {
      name: 'hall motion',
      trigger: { type: 'reading', deviceId: dev('hall', 'pir'), attribute: 'motion', equals: true },
      actions: [{ type: 'command', deviceId: dev('hall', 'luz'), attribute: 'on', value: true, forSeconds: 3 }],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const light = () => sent(dev('hall', 'luz'), 'on');
    await mqtt.publishAsync(`${dev('hall', 'pir')}/motion`, 'true', { qos: 1 });
    await waitFor(() => light().length === 1, 5000, 'the light on');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      await mqtt.publishAsync(`${dev('hall', 'pir')}/motion`, 'true', { qos: 1 });
    }
    const last = Date.now();
    assert.deepEqual(light().map((c) => c.payload), ['true'], 'still on after 4.5 s of repeated motion, not sent again');
    await waitFor(() => light().length === 2, 8000, 'the light off');
    const off = light()[1];
    assert.equal(off.payload, 'false');
    assert.ok(off.real - last >= 2500 && off.real - last <= 5000, `off ${off.real - last} ms after the last motion`);
    const log = await op.json('GET', `/api/v1/sites/${H}/logbook?kind=command&device=${enc(dev('hall', 'luz'))}`);
    assert.ok(log.body.items.some((e: { causeText: string }) => /^automation 'hall motion' ← .*pir motion=true/.test(e.causeText)), JSON.stringify(log.body.items.map((e: { causeText: string }) => e.causeText)));
  });

  it('a notify action reaches the site\'s people through the notification outbox (the operator\'s notification centre)', async () => {
    // The door must be known before an automation may name it.
    await mqtt.publishAsync(`${dev('hall', 'door')}/contact`, 'true', { qos: 1 });
    await waitFor(async () => (await op.json('GET', `/api/v1/devices/${enc(dev('hall', 'door'))}`)).status === 200, 10000, 'the door in the registry');
    const made = await op.json('POST', `/api/v1/sites/${H}/automations`, {
      name: 'door left open',
      trigger: { type: 'reading', deviceId: dev('hall', 'door'), attribute: 'contact', equals: false },
      actions: [{ type: 'notify', message: 'The hall door is open' }],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await mqtt.publishAsync(`${dev('hall', 'door')}/contact`, 'false', { qos: 1 });
    type Inbox = { items: Array<{ site: string; title: string; body: string }> };
    let inbox: Inbox = { items: [] };
    await waitFor(async () => {
      inbox = (await op.json('GET', '/api/v1/notify/inbox')).body as Inbox;
      return inbox.items.some((i) => i.site === H && i.body === 'The hall door is open');
    }, 15000, 'the notification in the operator\'s notification centre');
    assert.equal(inbox.items.filter((i) => i.site === H && i.body === 'The hall door is open').length, 1, 'once');
    assert.ok(inbox.items.some((i) => i.title === `${H}: door left open`), JSON.stringify(inbox.items));
  });

  it('a loop between two automations is refused when saved', async () => {
    const first = await op.json('POST', `/api/v1/sites/${H}/automations`, {
      name: 'plug follows light',
      trigger: { type: 'reading', deviceId: dev('salon', 'luz'), attribute: 'on', equals: true },
      actions: [{ type: 'command', deviceId: dev('salon', 'plug'), attribute: 'on', value: true }],
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await op.json('POST', `/api/v1/sites/${H}/automations`, {
      name: 'light follows plug',
      trigger: { type: 'reading', deviceId: dev('salon', 'plug'), attribute: 'on', equals: true },
      actions: [{ type: 'command', deviceId: dev('salon', 'luz'), attribute: 'on', value: true }],
    });
    assert.equal(second.status, 409);
    assert.match(second.body.error, /loop: '(plug|light) follows (light|plug)' → '(plug|light) follows (light|plug)' → /);
    assert.ok(second.body.error.includes("'light follows plug'") && second.body.error.includes("'plug follows light'"), second.body.error);
    assert.equal((await op.json('GET', `/api/v1/sites/${H}/automations`)).body.items.filter((a: { name: string }) => a.name === 'light follows plug').length, 0, 'not saved');
  });
});
