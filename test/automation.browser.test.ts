import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser } from 'playwright-core';
import { startApp, type RunningApp } from './support/app';
import type { Session } from './support/auth';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';

/**
 * The home-automation pages in headless Chromium (a phone's width) against the real app, broker
 * and Postgres: a resident applies a scene and sees each device's outcome, pushed on the live stream (the silent TV times
 * out); an owner builds an automation with the form and it runs; the logbook shows its cause chain.
 */
describe('home automation pages in a real browser', function () {
  this.timeout(180000);
  const H = `ui-${randomBytes(3).toString('hex')}`;
  const dev = (room: string, name: string) => `${H}/${room}/${name}`;
  const password = randomBytes(18).toString('base64url');
  let db: TestDatabase;
  let app: RunningApp;
  let mqtt: MqttClient;
  let browser: Browser;
  let op: Session;
  const sent: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    db = await createTestDatabase('octopus_automation_ui');
    const dataDir = dataDirWithDefaultFlow((nodes) => {
      nodeOfType(nodes, 'octopus-registry').commandTimeoutS = 1;
    });
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url }, { dataDir });
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `automation-ui-${randomUUID()}` });
    await mqtt.subscribeAsync(`${H}/+/+/+/set`, { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      if (!topic.endsWith('/set')) return;
      sent.push(`${topic} ${payload.toString()}`);
      if (!topic.includes('/tv/')) void mqtt.publishAsync(topic.slice(0, -4), payload.toString(), { qos: 1 });
    });
    await waitFor(() => /connected to mqtt/.test(app.output()) && /automation: \d+ automations/.test(app.output()), 20000, 'the source and the automation service');
    op = await app.login();
    for (const [d, a, v] of [[dev('salon', 'luz'), 'on', 'false'], [dev('salon', 'tv'), 'on', 'false'], [dev('hall', 'luz'), 'on', 'false'], [dev('hall', 'pir'), 'motion', 'false']]) {
      await mqtt.publishAsync(`${d}/${a}`, v, { qos: 1 });
    }
    await waitFor(async () => (await op.json('GET', `/api/v1/devices?site=${H}`)).body.total === 4, 15000, 'the devices');
    for (const d of [dev('salon', 'luz'), dev('salon', 'tv'), dev('hall', 'luz')]) assert.equal((await op.json('PATCH', `/api/v1/devices/${encodeURIComponent(d)}`, { controls: { on: { kind: 'switch' } } })).status, 200);
    const scene = await op.json('POST', `/api/v1/sites/${H}/scenes`, { name: 'Evening', targets: [{ deviceId: dev('salon', 'luz'), attribute: 'on', value: true }, { deviceId: dev('salon', 'tv'), attribute: 'on', value: true }] });
    assert.equal(scene.status, 201, JSON.stringify(scene.body));
    for (const [who, role] of [['resident', 'resident'], ['owner', 'owner']]) {
      assert.equal((await op.json('POST', '/api/v1/users', { username: `${who}-${H}`, password, sites: { [H]: role } })).status, 201);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    await db?.drop();
  });

  const newPage = async (who: string, hash: string) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, app.baseUrl, `${who}-${H}`, password, hash);
    return page;
  };

  it('a resident applies a scene with one tap and sees each device\'s outcome', async () => {
    const page = await newPage('resident', `#/scenes/${H}`);
    // The outcomes come on the live stream: the page never asks for the scene while it applies.
    const asked: string[] = [];
    page.on('request', (req) => {
      if (/\/api\/v1\/scenes\/[^/]+$/.test(new URL(req.url()).pathname) && req.method() === 'GET') asked.push(req.url());
    });
    await page.getByRole('button', { name: 'Apply Evening' }).click();
    await page.locator(`li[data-device-id="${dev('salon', 'luz')}"][data-outcome="confirmed"]`).waitFor({ timeout: 10000 });
    await page.locator(`li[data-device-id="${dev('salon', 'tv')}"][data-outcome="timeout"]`).waitFor({ timeout: 15000 });
    assert.match(await page.locator(`li[data-device-id="${dev('salon', 'tv')}"]`).innerText(), /no answer/);
    assert.deepEqual(asked, [], 'no polling of the scene');
    assert.equal(await page.getByRole('button', { name: 'Save scene' }).count(), 0, 'residents do not edit scenes');
    assert.deepEqual(pageErrors, []);
  });

  it('an owner creates an automation with the form, it runs, and the logbook shows why the light went on', async () => {
    const page = await newPage('owner', `#/automations/${H}`);
    await page.getByLabel('Automation name').fill('Hall light');
    await page.locator('select[aria-label="Trigger attribute"] option', { hasText: 'pir · motion' }).waitFor({ state: 'attached' });
    await page.getByLabel('Trigger attribute').selectOption({ label: `${dev('hall', 'pir')} · motion` });
    await page.getByLabel('Trigger comparison').selectOption('equals');
    await page.getByLabel('Trigger value').fill('true');
    await page.getByLabel('Action attribute').selectOption({ label: `${dev('hall', 'luz')} · on` });
    await page.getByLabel('Action value').fill('on');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.locator('section[data-automation-id] h3', { hasText: 'Hall light' }).waitFor();
    await mqtt.publishAsync(`${dev('hall', 'pir')}/motion`, 'true', { qos: 1 });
    await waitFor(() => sent.includes(`${dev('hall', 'luz')}/on/set true`), 10000, 'the automation\'s command on the broker');
    await page.goto(`${app.baseUrl}/ui/#/logbook/${H}`);
    const line = page.locator('li.log-command', { hasText: `${dev('hall', 'luz')} on → true: confirmed` });
    await line.waitFor({ timeout: 15000 });
    assert.match(await line.locator('.log-cause').innerText(), new RegExp(`← automation 'Hall light' ← ${dev('hall', 'pir')} motion=true \\d\\d:\\d\\d`));
    await page.goto(`${app.baseUrl}/ui/#/automations/${H}`);
    await page.locator('li.run-done').first().waitFor({ timeout: 10000 });

    // The other kinds from the same form: "the motion sensor goes offline → tell the house's people".
    await page.getByLabel('Automation name').fill('Sensor lost');
    await page.getByLabel('Trigger kind').selectOption('offline');
    await page.getByLabel('Trigger attribute').selectOption({ label: `${dev('hall', 'pir')} · motion` });
    await page.getByLabel('Action kind').selectOption('notify');
    await page.getByLabel('Message').fill('The hall sensor went offline');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.locator('section[data-automation-id] h3', { hasText: 'Sensor lost' }).waitFor();
    const saved = await op.json('GET', `/api/v1/sites/${H}/automations`);
    const lost = saved.body.items.find((a: { name: string }) => a.name === 'Sensor lost');
    assert.deepEqual([lost.trigger, lost.actions], [{ type: 'offline', deviceId: dev('hall', 'pir') }, [{ type: 'notify', message: 'The hall sensor went offline' }]]);
    assert.deepEqual(pageErrors, []);
  });
});
