/**
 * `npm run screenshots`: starts the real app (embedded broker and PGlite, or MQTT_URL /
 * DATABASE_URL when set), feeds it a simulated fleet, two days of history for one thermostat and an
 * alert, and photographs the overview, that device's page, the alerts and the devices page at desktop and phone
 * widths with headless Chromium into docs/screenshots/, then the editor: the Octopus palette and five edit
 * dialogs (scripts/editor-screenshots.ts). SCREENSHOTS_ONLY=editor takes the editor's pictures alone.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectAsync } from 'mqtt';
import { chromium, type Page } from 'playwright-core';
import { brokerCredentials } from '../lib/mqtt-auth/broker-credentials';
import { Simulator } from '../lib/simulation/simulator';
import { shootEditor } from './editor-screenshots';
import { readDevCredentials } from './embedded/broker-users';
import { startApp } from '../test/support/app';
import type { Session } from '../test/support/auth';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from '../test/support/browser';
import { waitFor } from '../test/support/env';
import { dataDirWithDefaultFlow, nodeOfType } from '../test/support/flows';
import { freePort } from '../test/support/ports';

// SCREENSHOTS_DIR and SCREENSHOTS_SCHEME=dark take the pictures elsewhere, in the dark theme.
const OUT = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : resolve(__dirname, '..', '..', 'docs', 'screenshots');
const SCHEME = process.env.SCREENSHOTS_SCHEME === 'dark' ? 'dark' : 'light';
const SITE = 'casa-1';
// Not one of the simulated fleet: its history and its live values come from here alone, so they agree.
const THERMOSTAT = `${SITE}/salon/termostato-principal`;

const VIEWPORTS = {
  desktop: { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

let operator: Session;

async function api(_base: string, path: string, init?: { method: string; body: unknown }): Promise<unknown> {
  const res = await operator.fetch(`/api/v1${path}`, init ? { method: init.method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const embeddedPort = process.env.MQTT_URL ? undefined : await freePort();
  const mqttUrl = process.env.MQTT_URL ?? `mqtt://127.0.0.1:${embeddedPort}`;
  const dataDir = dataDirWithDefaultFlow((nodes) => {
    nodeOfType(nodes, 'octopus-alert').rules = JSON.stringify([
      { id: 'warm-room', attribute: 'temperature', condition: 'above', threshold: 24, deadband: 0.5, severity: 'warning', message: '{device} is warm: {value}{unit}' },
      { id: 'stuffy-air', attribute: 'co2', condition: 'above', threshold: 1000, deadband: 50, severity: 'critical', message: 'CO₂ in {room} is {value} {unit}' },
    ]);
  });
  console.log('starting the app …');
  const app = await startApp({ MQTT_PORT: embeddedPort ? String(embeddedPort) : undefined }, { dataDir, timeoutMs: 120000 });
  operator = await app.login();
  if (process.env.SCREENSHOTS_ONLY === 'editor') {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      await shootEditor(browser, app, OUT, SCHEME);
    } finally {
      await browser.close();
      await app.stop();
    }
    return;
  }
  // Publishing takes a device-side user: the simulator's that `npm start` made for its embedded
  // broker, or the one in MQTT_URL / MQTT_USERNAME and MQTT_PASSWORD for a broker of one's own.
  const named = brokerCredentials(mqttUrl, process.env);
  const dev = process.env.MQTT_URL ? undefined : readDevCredentials(dataDir);
  const login = { username: named.username ?? dev?.username, password: named.password ?? dev?.password };
  const sim = new Simulator({ url: named.url, rate: 30, qos: 1, plain: false, timestamps: true, count: 0, maxInFlight: 100, sites: 2, roomsPerSite: 3, devicesPerRoom: 3, seed: 7, clientOptions: login });
  const mqtt = await connectAsync(named.url, { clientId: `screenshots-${process.pid}`, ...login });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    await sim.start();
    await waitFor(async () => ((await api(app.baseUrl, '/devices?limit=100')) as { total: number }).total >= 18, 30000, 'the fleet in the registry');

    // Two days of history for the thermostat: a daily swing with noise, the setpoint changed twice.
    console.log('publishing history …');
    const now = Date.now();
    const step = 5 * 60_000;
    for (let t = now - 2 * 86_400_000; t < now - 60_000; t += step) {
      const hour = new Date(t).getHours() + new Date(t).getMinutes() / 60;
      const temp = 21 + 2.2 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + Math.sin(t / 1_700_000) * 0.4 + (Math.random() - 0.5) * 0.3;
      const setpoint = hour >= 7 && hour < 23 ? 21.5 : 18;
      const ts = new Date(t).toISOString();
      await mqtt.publishAsync(`${THERMOSTAT}/temperature`, JSON.stringify({ value: Math.round(temp * 100) / 100, unit: '°C', ts }), { qos: 1 });
      await mqtt.publishAsync(`${THERMOSTAT}/setpoint`, JSON.stringify({ value: setpoint, unit: '°C', ts }), { qos: 1 });
    }
    await api(app.baseUrl, `/devices/${encodeURIComponent(THERMOSTAT)}`, {
      method: 'PATCH',
      body: { name: 'Living room thermostat', kind: 'thermostat', controls: { setpoint: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } },
    });
    await api(app.baseUrl, `/devices/${encodeURIComponent(`${SITE}/salon/luz-2`)}`, { method: 'PATCH', body: { name: 'Ceiling light', kind: 'light', controls: { on: { kind: 'switch' } } } });

    // Alerts: a warm room (acknowledged) and stuffy air (still open).
    await mqtt.publishAsync(`${SITE}/dormitorio/termostato-3/temperature`, JSON.stringify({ value: 26.4, unit: '°C' }), { qos: 1 });
    await mqtt.publishAsync(`casa-2/oficina/co2-1/co2`, JSON.stringify({ value: 1240, unit: 'ppm' }), { qos: 1 });
    await waitFor(async () => ((await api(app.baseUrl, '/alerts')) as { count: number }).count >= 2, 20000, 'two open alerts');
    const open = (await api(app.baseUrl, '/alerts')) as { alerts: { id: string; attribute: string }[] };
    const warm = open.alerts.find((a) => a.attribute === 'temperature');
    if (warm) await api(app.baseUrl, `/alerts/${warm.id}/ack`, { method: 'POST', body: { by: 'maria', note: 'window opened' } });
    // The thermostat keeps reporting while the pictures are taken; the fleet reports a few rounds first.
    const live = setInterval(() => {
      const hour = new Date().getHours() + new Date().getMinutes() / 60;
      const temp = 21 + 2.2 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + Math.sin(Date.now() / 1_700_000) * 0.4 + (Math.random() - 0.5) * 0.3;
      void mqtt.publishAsync(`${THERMOSTAT}/temperature`, JSON.stringify({ value: Math.round(temp * 100) / 100, unit: '°C' }), { qos: 1 });
    }, 2000);
    await new Promise((r) => setTimeout(r, 6000));

    for (const [width, options] of Object.entries(VIEWPORTS)) {
      const context = await browser.newContext({ ...options, colorScheme: SCHEME });
      const page = await context.newPage();
      await signIn(page, app.baseUrl, app.admin.username, app.admin.password);
      const shoot = async (name: string, hash: string, ready: (p: Page) => Promise<void>) => {
        await page.goto(`${app.baseUrl}/ui/${hash}`);
        await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15000 });
        await ready(page);
        await page.waitForTimeout(800);
        const file = resolve(OUT, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: name !== 'overview' || width === 'desktop' });
        console.log(`wrote ${file}`);
      };
      await shoot('overview', '#/', async (p) => {
        await p.locator('article.device').nth(17).waitFor();
        // Sparklines are drawn as their cards scroll into view: scroll through once for the full-page picture.
        for (let y = 0; y < 6000; y += 600) {
          await p.evaluate((top) => window.scrollTo(0, top), y);
          await p.waitForTimeout(100);
        }
        await p.evaluate(() => window.scrollTo(0, 0));
      });
      await shoot('device', `#/device/${encodeURIComponent(THERMOSTAT)}`, (p) => p.locator('.chart[data-attribute="temperature"][data-state="drawn"]').waitFor({ timeout: 20000 }));
      await shoot('alerts', '#/alerts', (p) => p.locator('#alert-history tbody tr').first().waitFor({ timeout: 15000 }));
      await shoot('devices', '#/devices', (p) => p.locator('#registry tbody tr').nth(17).waitFor({ timeout: 15000 }));
      await context.close();
    }
    clearInterval(live);
    await shootEditor(browser, app, OUT, SCHEME);
  } finally {
    await browser.close();
    await sim.stop(true);
    await mqtt.endAsync();
    await app.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack || err.message);
    process.exit(1);
  },
);
