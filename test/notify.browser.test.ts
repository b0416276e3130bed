import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { login, type Session } from './support/auth';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from './support/browser';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { startReceivers, type Receivers } from './support/notify-receivers';

/**
 * Notifications in the whole app (default flow: the alarm rule and the notify node) as a person
 * meets them: the /ui notification centre in headless Chromium counts an alert live; the same
 * alert arrives on the person's signed webhook, whose acknowledge link opens a page (nothing
 * changes) and acknowledges once; the API never returns a channel's secret.
 */
describe('notifications in /ui and through the API (whole app, Chromium)', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let app: RunningApp;
  let rx: Receivers;
  let mqtt: MqttClient;
  let browser: Browser;
  let page: Page;
  let ana: Session;
  let operator: Session;
  const site = `nt-${randomUUID().slice(0, 6)}`;
  const password = randomBytes(12).toString('base64url');
  const pageErrors: string[] = [];

  before(async () => {
    [db, rx] = await Promise.all([createTestDatabase('octopus_notify_ui'), startReceivers()]);
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url, OCTOPUS_NOTIFY_INTERVAL_MS: '100', OCTOPUS_PUBLIC_URL: 'http://octopus.test' });
    operator = await app.login();
    const made = await operator.json('POST', '/api/v1/users', { username: `ana-${site}`, password, sites: { [site]: 'resident' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    ana = await login(app.baseUrl, `ana-${site}`, password);
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `notify-ui-${randomUUID().slice(0, 6)}` });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 390, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    await rx?.close();
    await db?.drop();
  });

  it('channels: a secret goes in and never comes out; preferences take only your own channels', async () => {
    const hookKey = randomBytes(12).toString('hex');
    rx.secrets.set('/hook/ana', hookKey);
    const created = await ana.json('POST', '/api/v1/notify/channels', { kind: 'webhook', name: 'my hook', config: { url: `${rx.httpUrl}/hook/ana`, format: 'generic' }, secret: hookKey });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.hasSecret, true);
    const listed = await ana.fetch('/api/v1/notify/channels');
    const text = await listed.text();
    assert.ok(!text.includes(hookKey) && !JSON.stringify(created.body).includes(hookKey), 'the secret is never returned');
    const missing = await ana.json('POST', '/api/v1/notify/channels', { kind: 'telegram', name: 'tg', config: { chatId: '42' } });
    assert.deepEqual([missing.status, missing.body.error], [400, 'a telegram channel needs the bot token (secret)']);
    // The operator's channel is not ana's to use.
    const other = await operator.json('POST', '/api/v1/notify/channels', { kind: 'email', name: 'ops', config: { to: 'ops@octopus.test' } });
    const refused = await ana.json('PUT', `/api/v1/notify/preferences/${site}`, { minSeverity: 'info', channelIds: [other.body.id] });
    assert.equal(refused.status, 400);
    const prefs = await ana.json('PUT', `/api/v1/notify/preferences/${site}`, { minSeverity: 'warning', channelIds: [created.body.id], quietHours: null });
    assert.equal(prefs.status, 200, JSON.stringify(prefs.body));
    assert.deepEqual(prefs.body.channelIds, [created.body.id]);
    // Someone else's site is as unknown as a missing one.
    assert.equal((await ana.json('PUT', '/api/v1/notify/preferences/elsewhere', { minSeverity: 'info', channelIds: [] })).status, 404);
    assert.equal((await ana.json('PUT', `/api/v1/notify/escalation/${site}`, { steps: [{ delayMin: 5, role: 'owner' }] })).status, 403, 'a resident does not set the chain');
  });

  it('an alert shows live in the notification centre and on the signed webhook; its link acknowledges once', async () => {
    await signIn(page, app.baseUrl, `ana-${site}`, password);
    await page.waitForSelector('#notify-bell');
    assert.equal(await page.isHidden('#notify-count'), true, 'nothing unread yet');
    await page.click('#notify-bell');
    await page.waitForFunction(() => /No notifications yet/.test(document.querySelector('#notify-panel')?.textContent ?? ''));
    await page.click('#notify-bell');

    await mqtt.publishAsync(`${site}/cocina/humo/alarm`, 'true', { qos: 1 });
    // Pushed on the live stream: no reload, no polling.
    await page.waitForFunction(() => document.querySelector('#notify-count')?.textContent === '1', undefined, { timeout: 15000 });
    await page.click('#notify-bell');
    await page.waitForFunction(() => /Alarm from humo in cocina/.test(document.querySelector('#notify-list')?.textContent ?? ''));
    assert.match((await page.getAttribute('#notify-list .notify-item', 'data-severity')) ?? '', /critical/);
    await page.click('#notify-panel h2 button');
    await page.waitForFunction(() => document.querySelector('#notify-count')?.hasAttribute('hidden') === true);

    await waitFor(() => rx.webhooks.some((w) => w.path === '/hook/ana'), 15000, 'the webhook');
    const hook = rx.webhooks.find((w) => w.path === '/hook/ana')!;
    assert.ok(hook.signatureOk, 'signed with the channel secret');
    const ackUrl = (hook.body.items as { ackUrl: string }[])[0].ackUrl;
    const path = new URL(ackUrl).pathname;
    const alertId = (hook.body.notifications as { alertId: string }[])[0].alertId;
    const state = async () => (await operator.json('GET', `/api/v1/alerts/${alertId}`)).body.alert.state as string;

    const shown = await fetch(`${app.baseUrl}${path}`);
    assert.equal(shown.status, 200);
    assert.match(await shown.text(), /<form method="post">[\s\S]*Acknowledge/);
    assert.equal(await state(), 'active', 'GET changes nothing');
    const tampered = path.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    assert.equal((await fetch(`${app.baseUrl}${tampered}`, { method: 'POST' })).status, 403);
    assert.equal(await state(), 'active');

    const used = await fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'note=on+my+way' });
    assert.equal(used.status, 200);
    assert.match(await used.text(), /Alert acknowledged by/);
    const alert = (await operator.json('GET', `/api/v1/alerts/${alertId}`)).body.alert;
    assert.deepEqual([alert.state, alert.acknowledgedBy, alert.acknowledgeNote], ['acknowledged', `ana-${site}`, 'on my way']);
    const again = await fetch(`${app.baseUrl}${path}`, { method: 'POST' });
    assert.deepEqual([again.status, ((await again.json()) as { error: string }).error], [403, 'this acknowledge link has already been used']);

    // The settings in the panel: ana's channel (its secret only said to be set) and her site's preferences.
    await page.click('#notify-settings-button');
    await page.waitForFunction((s) => /webhook: my hook .* secret set/.test(document.querySelector('#notify-settings')?.textContent ?? '') && !!document.querySelector(`form[data-site="${s}"]`), site);
    await page.fill(`form[data-site="${site}"] input[aria-label^="Quiet hours"]`, '23:00-06:30');
    await page.click(`form[data-site="${site}"] button[type="submit"]`);
    await page.waitForFunction((s) => (document.querySelector('#notify-settings [role="status"]')?.textContent ?? '') === `Saved for ${s}.`, site);
    assert.equal((await ana.json('GET', '/api/v1/notify/preferences')).body.items[0].quietHours, '23:00-06:30');
    // The site's escalation chain is the owners' to set: a resident is told so, in a sentence.
    await page.fill(`form[data-escalation="${site}"] input`, '5 owner');
    await page.click(`form[data-escalation="${site}"] button[type="submit"]`);
    await page.waitForFunction(
      (s) => (document.querySelector('#notify-settings [role="status"]')?.textContent ?? '') === `Escalation not saved for ${s}: only owners of site "${s}" and operators set its escalation chain`,
      site,
    );

    const metrics = await operator.fetch('/metrics');
    assert.match(await metrics.text(), /^octopus_notifications\{state="sent"\} [1-9]/m);
    assert.deepEqual(pageErrors, []);
  });
});
