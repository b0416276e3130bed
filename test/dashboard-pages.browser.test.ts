import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { connectAsync, type MqttClient } from 'mqtt';
import { Pool } from 'pg';
import { runHistoryMaintenance } from '../lib/history/history-maintenance';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Session } from './support/auth';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from './support/browser';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';
import { dataDirWithDefaultFlow, nodeOfType } from './support/flows';

interface ChartFacts {
  points: number;
  from: number;
  to: number;
  min: number;
  max: number;
  band: number;
  bandOrdered: boolean;
  drawnPoints: number;
  insideArea: boolean;
}

/**
 * The dashboard's pages (device, alerts, devices) in headless Chromium against the real app: real
 * broker, real Postgres (seeded with a month of readings), the default flow.
 */
describe('the dashboard pages in a real browser', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let app: RunningApp;
  let mqtt: MqttClient;
  let browser: Browser;
  let page: Page;
  const site = `pg-${randomUUID().slice(0, 6)}`;
  const thermo = `${site}/salon/termo`;
  const pageErrors: string[] = [];
  let operator: Session;

  const api = async <T>(path: string, init?: { method: string; body: unknown }): Promise<T> => {
    const res = await operator.fetch(`/api/v1${path}`, init ? { method: init.method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const device = (id: string) => api<{ name: string | null; attributes: { name: string; controllable: { kind: string } | null }[] }>(`/devices/${encodeURIComponent(id)}`);

  before(async () => {
    db = await createTestDatabase();
    const dataDir = dataDirWithDefaultFlow((nodes) => {
      nodeOfType(nodes, 'octopus-alert').rules = JSON.stringify([
        { id: 'oven-hot', site, attribute: 'heat', condition: 'above', threshold: 200, deadband: 5, severity: 'critical', message: '{device} at {value}{unit}' },
      ]);
    });
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url }, { dataDir });
    operator = await app.login();
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `pages-${randomUUID()}` });
    await waitFor(() => /connected to mqtt/.test(app.output()), 10000, 'the source');
    // The registry learns the thermostat from a live reading; its month of history goes straight into the table.
    await mqtt.publishAsync(`${thermo}/temperature`, JSON.stringify({ value: 20, unit: '°C' }), { qos: 1 });
    await waitFor(async () => (await device(thermo)).attributes.length > 0, 10000, 'the thermostat in the registry');
    const pg = new Pool({ connectionString: db.url, max: 2 });
    try {
      // The store has the live reading: the schema is migrated and the seed cannot race it.
      await waitFor(async () => Number((await pg.query('select count(*) as n from readings where device_id = $1', [thermo])).rows[0].n) > 0, 20000, 'the first reading stored');
      await pg.query(
        `insert into readings (device_id, attribute, ts, num, unit, device_ts)
         select $1, 'temperature', t, 20 + 3 * sin(extract(epoch from t) / 86400 * 2 * pi()), '°C', true
         from generate_series(now() - interval '30 days', now() - interval '2 minutes', interval '5 minutes') as t`,
        [thermo],
      );
      // Rows written behind the store's back: mark their 5-minute buckets as the store does, and
      // roll them up now, as the app's maintenance would within its interval.
      await pg.query(
        `insert into rollup_pending (bucket)
         select distinct date_bin('5 minutes', ts, timestamptz 'epoch') from readings where device_id = $1
         on conflict do nothing`,
        [thermo],
      );
      await waitFor(async () => {
        await runHistoryMaintenance(pg, { rawRetentionDays: 0, bucketsPerRun: 20000 });
        const left = await pg.query<{ n: string }>(`select count(*) as n from rollup_pending where bucket < now() - interval '10 minutes'`);
        return Number(left.rows[0].n) === 0;
      }, 60000, 'the month rolled up');
    } finally {
      await pg.end();
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // Failed requests are judged below, by their address.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
    });
    await signIn(page, app.baseUrl, app.admin.username, app.admin.password);
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await app?.stop();
    await db?.drop();
  });

  /** What Chart.js holds and drew for an attribute's chart on the device page. */
  const chartFacts = (attribute: string): Promise<ChartFacts> =>
    page.evaluate((attr) => {
      const canvas = document.querySelector(`.chart[data-attribute="${attr}"] canvas`) as HTMLCanvasElement;
      type P = { x: number; y: number };
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): any } }).Chart.getChart(canvas); // eslint-disable-line @typescript-eslint/no-explicit-any
      const [max, min, mean] = chart.data.datasets.map((d: { data: P[] }) => d.data) as P[][];
      const meta = chart.getDatasetMeta(2);
      const area = chart.chartArea;
      const drawn = meta.data.filter((p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y));
      return {
        points: mean.length,
        from: mean.length ? mean[0].x : 0,
        to: mean.length ? mean[mean.length - 1].x : 0,
        min: Math.min(...mean.map((p) => p.y)),
        max: Math.max(...mean.map((p) => p.y)),
        band: max.length,
        bandOrdered: max.every((p, i) => p.y >= mean[i].y - 1e-9 && mean[i].y >= min[i].y - 1e-9),
        drawnPoints: drawn.length,
        insideArea: drawn.every((p: { x: number; y: number }) => p.x >= area.left - 1 && p.x <= area.right + 1 && p.y >= area.top - 1 && p.y <= area.bottom + 1),
      };
    }, attribute);

  it('draws the last 24 h of an attribute on the device page', async () => {
    await page.goto(`${app.baseUrl}/ui/#/device/${encodeURIComponent(thermo)}`);
    await page.locator('.chart[data-attribute="temperature"][data-state="drawn"]').waitFor({ timeout: 20000 });
    assert.equal(await page.locator('button[data-range="24h"]').getAttribute('aria-pressed'), 'true');
    const facts = await chartFacts('temperature');
    // 24 h of readings every 5 minutes: 288, less the edges.
    assert.ok(facts.points >= 280 && facts.points <= 1000, `${facts.points} points`);
    assert.ok(facts.to - facts.from > 23 * 3600_000, `spans ${(facts.to - facts.from) / 3600_000} h`);
    assert.ok(facts.min >= 16.99 && facts.max <= 23.01, `values ${facts.min}…${facts.max}`);
    assert.equal(facts.drawnPoints, facts.points, 'every point has a place on the canvas');
    assert.ok(facts.insideArea, 'points lie inside the plot area');
    assert.match((await page.locator('.device-name').textContent()) ?? '', /termo/);
  });

  it('draws 30 days as at most 1000 buckets with a min/mean/max band, from the hourly rollups', async () => {
    await page.locator('button[data-range="30d"]').click();
    await waitFor(async () => {
      if ((await page.locator('.chart[data-attribute="temperature"]').getAttribute('data-state')) !== 'drawn') return false;
      const f = await chartFacts('temperature');
      return f.to - f.from > 29 * 86_400_000;
    }, 20000, 'the 30-day chart');
    const facts = await chartFacts('temperature');
    assert.ok(facts.points >= 500 && facts.points <= 1000, `${facts.points} points for 8640 readings`);
    assert.equal(await page.locator('.chart[data-attribute="temperature"]').getAttribute('data-source'), '1h');
    assert.equal(facts.band, facts.points, 'a max (and min) for every bucket');
    assert.ok(facts.bandOrdered, 'min ≤ mean ≤ max in every bucket');
    assert.ok(facts.min >= 16.99 && facts.max <= 23.01, `means ${facts.min}…${facts.max}`);
    assert.equal(facts.drawnPoints, facts.points);
    assert.ok(facts.insideArea);
    // The live tail: a new reading is appended to the chart without a reload.
    await mqtt.publishAsync(`${thermo}/temperature`, JSON.stringify({ value: 21.75, unit: '°C' }), { qos: 1 });
    await waitFor(async () => (await page.locator(`.panel .value[data-attribute="temperature"]`).textContent()) === '21.75 °C', 10000, 'the live value');
    await waitFor(
      () => page.evaluate(() => {
        const canvas = document.querySelector('.chart[data-attribute="temperature"] canvas') as HTMLCanvasElement;
        const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: { y: number }[] }[] } } } }).Chart.getChart(canvas);
        const mean = chart.data.datasets[2].data;
        return mean[mean.length - 1].y === 21.75;
      }),
      5000,
      'the live point at the end of the chart',
    );
  });

  it('draws a custom range given by its from/to inputs', async () => {
    await page.locator('button[data-range="custom"]').click();
    const to = Date.now() - 3 * 86_400_000;
    const from = to - 2 * 86_400_000;
    const local = (t: number) => new Date(t - new Date(t).getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    await page.locator('.custom-range input[name="from"]').fill(local(from));
    await page.locator('.custom-range input[name="to"]').fill(local(to));
    await page.locator('.custom-range button[type="submit"]').click();
    await waitFor(async () => {
      if ((await page.locator('.chart[data-attribute="temperature"]').getAttribute('data-state')) !== 'drawn') return false;
      const f = await chartFacts('temperature');
      return f.to < to && f.from >= from - 60 * 60_000 && f.to - f.from > 47 * 3600_000;
    }, 20000, 'the custom range drawn');
    const facts = await chartFacts('temperature');
    assert.ok(facts.points > 100 && facts.points <= 1000, `${facts.points} points`);
    assert.equal(await page.locator('button[data-range="custom"]').getAttribute('aria-pressed'), 'true');
  });

  it('declares a light controllable on the devices page, then toggles it: pending → confirmed, and → timeout when it does not answer', async () => {
    const light = `${site}/salon/lampara`;
    await mqtt.publishAsync(`${light}/on`, 'false', { qos: 1 });
    await waitFor(async () => (await device(light)).attributes.some((a) => a.name === 'on'), 10000, 'the light in the registry');

    await page.goto(`${app.baseUrl}/ui/#/devices`);
    // The search reloads the table (debounced): edit only once the filtered table is drawn, not the first one.
    const filtered = page.waitForResponse((res) => res.url().includes('/api/v1/devices?') && res.url().includes(`q=${encodeURIComponent(site)}`));
    await page.locator('input[name="q"]').fill(site);
    // The table first lists every device, then (after the search box's debounce) the search's answer: edit in that one.
    await page.locator(`#registry tbody[data-query=${JSON.stringify(site)}]`).waitFor({ timeout: 10000 });
    await filtered;
    await page.locator('#registry tbody tr').first().waitFor();
    const row = page.locator(`tr[data-device-id="${light}"]`);
    await row.waitFor({ timeout: 10000 });
    await row.locator('button[data-action="edit"]').click();
    const editor = page.locator(`form.editor[data-device-id="${light}"]`);
    await editor.locator('input[name="name"]').fill('Lámpara del salón');
    await editor.locator('select[name="control-kind"][data-attribute="on"]').selectOption('switch');
    await editor.locator('button[type="submit"]').click();
    await waitFor(async () => (await device(light)).attributes.find((a) => a.name === 'on')?.controllable?.kind === 'switch', 10000, 'the control saved');
    assert.equal((await device(light)).name, 'Lámpara del salón');
    await waitFor(async () => (await page.locator(`tr[data-device-id="${light}"] .controls-cell`).textContent()) === 'on (switch)', 5000, 'the row redrawn');

    // A light that obeys, but only once the test has seen the command pending on the page.
    const commands: string[] = [];
    await mqtt.subscribeAsync(`${light}/on/set`, { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      if (topic === `${light}/on/set`) commands.push(payload.toString());
    });
    await page.goto(`${app.baseUrl}/ui/#/device/${encodeURIComponent(light)}`);
    const toggle = page.locator('.control[data-attribute="on"] .toggle');
    await toggle.waitFor({ timeout: 10000 });
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10000 });
    // The outcomes come on the live stream: the page does not ask for a command's status.
    const polled: string[] = [];
    page.on('request', (req) => {
      if (/\/api\/v1\/commands\/[^/?]+$/.test(new URL(req.url()).pathname)) polled.push(req.url());
    });
    await toggle.click();
    const status = page.locator('.control[data-attribute="on"] .cmd-status');
    await waitFor(async () => (await status.getAttribute('data-status')) === 'pending', 10000, 'the command pending');
    await waitFor(() => commands.length === 1, 10000, 'the command at the light');
    assert.equal(commands[0], 'true');
    await mqtt.publishAsync(`${light}/on`, commands[0], { qos: 1 });
    await waitFor(async () => (await status.getAttribute('data-status')) === 'confirmed', 10000, 'the command confirmed');
    // The light's new state is a reading of its own on the stream: it may land just after the outcome.
    await waitFor(async () => (await toggle.getAttribute('aria-checked')) === 'true', 5000, 'the toggle on');
    const id = await status.getAttribute('data-command-id');
    assert.equal((await api<{ status: string }>(`/commands/${id}`)).status, 'confirmed');
    await page.locator(`.commands tr[data-command-id="${id}"] .cmd-status[data-status="confirmed"]`).waitFor({ timeout: 10000 });

    // Switched off, and this time the light does not answer: the page shows the timeout.
    await toggle.click();
    await waitFor(async () => (await status.getAttribute('data-status')) === 'pending', 10000, 'the second command pending');
    const second = await status.getAttribute('data-command-id');
    assert.notEqual(second, id);
    await waitFor(async () => (await status.getAttribute('data-status')) === 'timeout', 30000, 'the command timed out');
    assert.equal(commands[1], 'false');
    assert.equal((await api<{ status: string }>(`/commands/${second}`)).status, 'timeout');
    assert.equal(await toggle.getAttribute('aria-checked'), 'true', 'the light is still on, as it last said');
    assert.deepEqual(polled, [], 'no command status polled: the stream told it');
  });

  it('acknowledges an alert with a note on the alerts page, and the API shows it acknowledged', async () => {
    const oven = `${site}/cocina/horno`;
    await mqtt.publishAsync(`${oven}/heat`, JSON.stringify({ value: 240, unit: '°C' }), { qos: 1 });
    let id = '';
    await waitFor(async () => {
      const open = await api<{ alerts: { id: string; deviceId: string }[] }>('/alerts');
      id = open.alerts.find((a) => a.deviceId === oven)?.id ?? '';
      return id !== '';
    }, 10000, 'the alert raised');
    await page.goto(`${app.baseUrl}/ui/#/alerts`);
    const row = page.locator(`li.alert-row[data-alert-id="${id}"]`);
    await row.waitFor({ timeout: 10000 });
    assert.equal(await row.getAttribute('data-severity'), 'critical');
    assert.equal(await row.getAttribute('data-state'), 'active');
    assert.equal(await page.locator('#alert-count').textContent(), '1');
    await row.locator('button[data-action="ack"]').click();
    await row.locator('form[data-action="ack"] input[name="note"]').fill('on my way — Ana');
    await row.locator('form[data-action="ack"] button[type="submit"]').click();
    await waitFor(async () => (await api<{ alert: { state: string } }>(`/alerts/${id}`)).alert.state === 'acknowledged', 10000, 'the alert acknowledged');
    const { alert } = await api<{ alert: { state: string; acknowledgeNote?: string } }>(`/alerts/${id}`);
    assert.equal(alert.acknowledgeNote, 'on my way — Ana');
    await page.locator(`li.alert-row[data-alert-id="${id}"][data-state="acknowledged"]`).waitFor({ timeout: 5000 });
    // The history lists it too, and filters by state.
    await page.locator('#history-filters select[name="state"]').selectOption('acknowledged');
    await page.locator(`#alert-history tr[data-alert-id="${id}"][data-state="acknowledged"]`).waitFor({ timeout: 10000 });
    // Cleared from the page, it leaves the open list.
    await page.locator(`li.alert-row[data-alert-id="${id}"] button[data-action="clear"]`).click();
    await page.locator(`li.alert-row[data-alert-id="${id}"] form[data-action="clear"] button[type="submit"]`).click();
    await waitFor(async () => (await api<{ alert: { state: string } }>(`/alerts/${id}`)).alert.state === 'cleared', 10000, 'the alert cleared');
    await waitFor(async () => (await page.locator(`li.alert-row[data-alert-id="${id}"]`).count()) === 0, 5000, 'the row gone');
  });

  it('renders markup in device ids and names as text on the device page and in the devices table', async () => {
    const evilDevice = '<img src=x onerror="window.__xss=4">';
    const evilId = `${site}/salon/${evilDevice}`;
    const evilName = '<script>window.__xss=5</script><b onmouseover="window.__xss=6">bold</b>';
    await mqtt.publishAsync(`${evilId}/temperature`, '19', { qos: 1 });
    await waitFor(async () => (await device(evilId)).attributes.length > 0, 10000, 'the device in the registry');
    await api(`/devices/${encodeURIComponent(evilId)}`, { method: 'PATCH', body: { name: evilName, room: '<i>room</i>' } });

    await page.goto(`${app.baseUrl}/ui/#/device/${encodeURIComponent(evilId)}`);
    await page.locator('.device-name').waitFor({ timeout: 10000 });
    assert.equal(await page.locator('.device-name').textContent(), evilName);
    assert.equal(await page.locator('.device-page .mono').first().textContent(), evilId);
    await page.locator('.chart[data-attribute="temperature"][data-state="drawn"]').waitFor({ timeout: 10000 });

    await page.goto(`${app.baseUrl}/ui/#/devices`);
    await page.locator('input[name="q"]').fill('salon');
    await page.locator('#registry tbody[data-query="salon"]').waitFor({ timeout: 10000 });
    const row = page.locator(`tr[data-device-id=${JSON.stringify(evilId)}]`);
    await row.waitFor({ timeout: 10000 });
    assert.equal(await row.locator('.name').textContent(), evilName);
    assert.equal(await row.locator('.room').textContent(), '<i>room</i>');
    await row.locator('button[data-action="edit"]').click();
    assert.equal(await page.locator('form.editor input[name="name"]').inputValue(), evilName);

    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('main script, main img, main b, main i').count(), 0);
  });

  it('filters the overview by search and state', async () => {
    await page.goto(`${app.baseUrl}/ui/`);
    await page.locator(`article.device[data-device-id="${thermo}"]`).waitFor({ timeout: 10000 });
    // Other tests' devices on the shared broker show up too: narrow to this test's site first.
    await page.locator('#site-filter').selectOption(site);
    await waitFor(async () => (await page.locator('article.device:not([hidden])').count()) >= 4, 5000, 'the site\'s cards');
    assert.equal(await page.locator(`article.device:not([hidden]):not([data-device-id^="${site}/"])`).count(), 0);
    await page.locator('#search').fill('lampara');
    await waitFor(async () => (await page.locator('article.device:not([hidden])').count()) === 1, 5000, 'one card left');
    assert.equal(await page.locator('article.device:not([hidden]) .name').textContent(), 'Lámpara del salón');
    await page.locator('#search').fill('');
    await page.locator('#state-filter').selectOption('offline');
    await waitFor(async () => (await page.locator('article.device:not([hidden])').count()) === 0, 5000, 'no offline card');
    assert.equal(await page.locator('#empty').isVisible(), true);
    assert.deepEqual(pageErrors, []);
  });

  it('reconnects by itself when the flows restart, resyncs, and goes on updating live', async () => {
    await page.goto(`${app.baseUrl}/ui/`);
    const value = page.locator(`.value[data-device-id="${thermo}"][data-attribute="temperature"]`);
    await value.waitFor({ timeout: 10000 });
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10000 });
    await page.evaluate(() => {
      const states: string[] = [];
      (window as unknown as { __states: string[] }).__states = states;
      const conn = document.getElementById('connection') as HTMLElement;
      new MutationObserver(() => states.push(conn.dataset.state ?? '')).observe(conn, { attributes: true, attributeFilter: ['data-state'] });
    });
    const res = await app.adminFetch('/flows', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'reload' }, body: '{}' });
    assert.ok(res.ok, `reload answered ${res.status}`);
    await waitFor(async () => {
      const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
      return states.includes('down') && states[states.length - 1] === 'live';
    }, 30000, 'the page down, then live again');
    await waitFor(() => /connected to mqtt/.test(app.output().split('Starting flows').pop() ?? ''), 15000, 'the source back');
    await waitFor(async () => {
      await mqtt.publishAsync(`${thermo}/temperature`, JSON.stringify({ value: 24.5, unit: '°C' }), { qos: 1 });
      return (await value.textContent()) === '24.5 °C';
    }, 20000, 'a live value after the reconnect');
  });

  it('streams only the devices a page shows, with consecutive event ids', async () => {
    const other = `${site}/salon/otro`;
    const frames: { id: number; event: string; data: string }[] = [];
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${app.baseUrl}/ui/events?device=${encodeURIComponent(thermo)}`, { headers: { Cookie: operator.cookie } }, resolve).on('error', reject).end();
    });
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(text)?.[1];
        const event = /^event: (.*)$/m.exec(text)?.[1];
        const data = /^data: (.*)$/m.exec(text)?.[1];
        if (id && event && data !== undefined) frames.push({ id: Number(id), event, data });
      }
    });
    try {
      await waitFor(() => frames.length > 0, 5000, 'the snapshot');
      assert.equal(frames[0].event, 'snapshot');
      const snapshot = JSON.parse(frames[0].data) as { devices: { deviceId: string }[] };
      assert.deepEqual(snapshot.devices.map((d) => d.deviceId), [thermo]);
      await mqtt.publishAsync(`${other}/temperature`, '11', { qos: 1 });
      await mqtt.publishAsync(`${thermo}/temperature`, '22.5', { qos: 1 });
      await waitFor(() => frames.some((f) => f.event === 'readings' && f.data.includes('22.5')), 10000, 'the thermostat reading');
      assert.ok(!frames.some((f) => f.data.includes(other)), 'nothing of the device the page does not show');
      assert.deepEqual(frames.map((f) => f.id), frames.map((_f, i) => i + 1));
    } finally {
      res.destroy();
    }
  });
});
