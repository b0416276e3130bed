import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type RunningApp } from './support/app';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';


/** The real app (settings, default flow, real broker and Postgres) seen through headless Chromium. */
describe('the /ui page in a real browser', function () {
  this.timeout(90000);
  let db: TestDatabase;
  let app: RunningApp;
  let mqtt: MqttClient;
  let browser: Browser;
  let page: Page;
  const site = `web-${randomUUID().slice(0, 6)}`;
  const pageErrors: string[] = [];

  before(async () => {
    db = await createTestDatabase();
    const dataDir = dataDirWithDefaultFlow((nodes) => {
      nodeOfType(nodes, 'octopus-alert').rules = JSON.stringify([
        { id: 'too-hot', site, attribute: 'temperature', condition: 'above', threshold: 30, deadband: 1, severity: 'critical', message: '{device} is {value}{unit}' },
      ]);
    });
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url }, { dataDir });
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `web-${randomUUID()}` });
    await waitFor(() => /connected to mqtt/.test(app.output()), 10000, 'the source');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    await db?.drop();
  });

  const valueLocator = (deviceId: string, attribute: string) => page.locator(`.value[data-device-id="${deviceId}"][data-attribute="${attribute}"]`);

  it('shows a value and updates it live after a publish, without a reload', async () => {
    await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 21.5, unit: '°C' }), { qos: 1 });
    await page.goto(`${app.baseUrl}/ui`);
    const value = valueLocator(`${site}/salon/termo`, 'temperature');
    await value.waitFor({ timeout: 10000 });
    await waitFor(async () => (await value.textContent()) === '21.5 °C', 10000, 'the first value');
    assert.equal(await page.locator('#connection').getAttribute('data-state'), 'live');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 23.25, unit: '°C' }), { qos: 1 });
    await waitFor(async () => (await value.textContent()) === '23.25 °C', 5000, 'the new value');
    assert.deepEqual(navigations, [], 'the page did not reload');
    // A new device appears live too.
    await mqtt.publishAsync(`${site}/cocina/nevera/temperature`, '4', { qos: 1 });
    await valueLocator(`${site}/cocina/nevera`, 'temperature').waitFor({ timeout: 5000 });
  });

  it('shows an alert on its device card as it is raised, and removes it when it is cleared', async () => {
    await mqtt.publishAsync(`${site}/salon/termo/temperature`, JSON.stringify({ value: 35, unit: '°C' }), { qos: 1 });
    const alert = page.locator(`article.device[data-device-id="${site}/salon/termo"] li.alert`);
    await alert.waitFor({ timeout: 10000 });
    assert.equal(await alert.getAttribute('data-severity'), 'critical');
    assert.equal(await alert.textContent(), 'termo is 35°C');
    const id = await alert.getAttribute('data-alert-id');
    const res = await fetch(`${app.baseUrl}/api/v1/alerts/${id}/clear`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by: 'test', note: 'checked' }) });
    assert.equal(res.status, 200);
    await waitFor(async () => (await alert.count()) === 0, 5000, 'the alert to leave the card');
  });

  it('renders a device named <script> as text and runs no script from it', async () => {
    const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    await mqtt.publishAsync(`${site}/salon/termo/mode`, JSON.stringify({ value: evil }), { qos: 1 });
    const value = valueLocator(`${site}/salon/termo`, 'mode');
    await value.waitFor({ timeout: 5000 });
    assert.equal(await value.textContent(), evil);
    // A device whose very name (a topic level) is markup.
    const evilDevice = '<img src=x onerror="window.__xss=3">';
    await mqtt.publishAsync(`${site}/salon/${evilDevice}/temperature`, '20', { qos: 1 });
    const card = page.locator(`article.device[data-device-id=${JSON.stringify(`${site}/salon/${evilDevice}`)}] .name`);
    await card.waitFor({ timeout: 5000 });
    assert.equal(await card.textContent(), evilDevice);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('main script, main img').count(), 0);
    assert.deepEqual(pageErrors, []);
    if (process.env.OCTOPUS_SCREENSHOT) await page.screenshot({ path: process.env.OCTOPUS_SCREENSHOT, fullPage: true });
  });
});
