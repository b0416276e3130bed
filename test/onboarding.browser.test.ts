import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parseTasmotaConsole, SimulatedTasmota } from '../lib/simulation/tasmota-device';
import { startApp, type RunningApp } from './support/app';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { waitFor } from './support/env';
import { onboardHouse, tasmotaPlugFlow } from './support/onboarding-flow';
import { freePort } from './support/ports';

/**
 * Onboarding in headless Chromium, on a phone's screen in dark mode, against the real app of
 * `npm start` (its embedded broker): an invited owner joins through the link, adds a Tasmota plug,
 * copies the console commands with the page's button; a simulated Tasmota set up with exactly that
 * text connects, and the page shows its first reading. Then the API flow of onboarding.app.test.ts
 * on this embedded broker (what it may not do, revocation), sharing the app.
 */
describe('onboarding in a real browser: an owner adds a Tasmota plug', function () {
  this.timeout(120000);
  const site = `flat${randomBytes(3).toString('hex')}`;
  const owner = { username: `owner-${site}`, password: `Pw-${randomBytes(9).toString('base64url')}` };
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let plug: SimulatedTasmota | undefined;
  let mqttPort: number;
  let plugSettings: ReturnType<typeof parseTasmotaConsole> | undefined;
  const appEnv = (): NodeJS.ProcessEnv => ({ MQTT_URL: undefined, MQTT_USERNAME: undefined, MQTT_PASSWORD: undefined, MQTT_PORT: String(mqttPort), DATABASE_URL: db.url });
  const pageErrors: string[] = [];

  before(async () => {
    db = await createTestDatabase('octopus_onboarding_ui');
    mqttPort = await freePort();
    app = await startApp(appEnv());
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', baseURL: app.baseUrl });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await plug?.close();
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });

  it('joins by invitation, adds the plug, copies its console commands, and sees its first reading', async () => {
    const operator = await app.login();
    assert.equal((await operator.json('POST', '/api/v1/houses', { site, name: 'Flat', timeZone: 'Europe/Madrid' })).status, 201);
    const invited = await operator.json('POST', `/api/v1/sites/${site}/invitations`, { role: 'owner' });
    assert.equal(invited.status, 201);

    await page.goto(`/ui/accept?invitation=${encodeURIComponent(invited.body.token)}`);
    await page.fill('#username', owner.username);
    await page.fill('#password', owner.password);
    await page.click('#accept');
    await Promise.race([page.waitForURL(/\/ui\/login/), page.locator('#accept-error:not([hidden])').waitFor().then(async () => assert.fail(await page.locator('#accept-error').innerText()))]);
    await page.fill('#username', owner.username);
    await page.fill('#password', owner.password);
    await page.click('#sign-in');
    await page.waitForURL((url) => url.pathname.endsWith('/ui/'));

    await page.goto('/ui/onboarding');
    // The owner's only house opens by itself.
    await page.locator('#house:not([hidden])').waitFor();
    assert.match(await page.locator('#house-title').innerText(), /Flat/);
    await page.fill('#device-form input[name="name"]', 'Kitchen plug');
    await page.fill('#device-form input[name="room"]', 'kitchen');
    await page.fill('#device-form input[name="kind"]', 'plug');
    await page.selectOption('#device-form select[name="firmware"]', 'tasmota');
    await page.click('#device-form button[type="submit"]');
    await page.locator('[data-firmware="tasmota"]').waitFor();
    assert.match(await page.locator('#first-reading').innerText(), /Waiting|Nothing has arrived/);

    await page.click('button[data-copy="tasmota"]');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^Backlog MqttHost \S+; MqttPort \d+; MqttUser \S+; MqttPassword \S+; MqttClient \S+; Topic \S+; FullTopic \S+$/);

    plugSettings = parseTasmotaConsole(copied);
    plug = await SimulatedTasmota.connect(plugSettings);
    await plug.report(18.5);
    await page.locator('#first-reading[data-state="reading"]').waitFor({ timeout: 20000 });
    assert.match(await page.locator('#first-reading').innerText(), /^First reading: .+ at \d\d:\d\d\.$/);

    // A phone's width: nothing wider than the screen; dark mode as asked.
    const layout = await page.evaluate(() => ({ overflow: document.documentElement.scrollWidth - window.innerWidth, dark: matchMedia('(prefers-color-scheme: dark)').matches }));
    assert.deepEqual(layout, { overflow: 0, dark: true });
    if (process.env.OCTOPUS_SCREENSHOT) await page.screenshot({ path: process.env.OCTOPUS_SCREENSHOT, fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('the API flow on the same embedded broker: added, connected, first reading, kept in its house, another client id refused, new password, revoked at once', async () => {
    const house = await onboardHouse(app, `house${site}`);
    await tasmotaPlugFlow(app, house, `elsewhere${site}`, mqttPort);
  });

  it('after a restart of npm start, the embedded broker lets the plug added in /ui back in (its users come from the database)', async () => {
    await plug?.close();
    plug = undefined;
    await app.stop();
    app = await startApp(appEnv(), { dataDir: app.dataDir });
    const settings = plugSettings as NonNullable<typeof plugSettings>;
    await waitFor(async () => (plug = await SimulatedTasmota.connect(settings).catch(() => undefined)) !== undefined, 15000, 'the plug back on the restarted broker');
  });
});
