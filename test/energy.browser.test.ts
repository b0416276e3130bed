import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { Pool } from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseCsv } from '../lib/export/export-format';
import { runHistoryMaintenance } from '../lib/history/history-maintenance';
import type { Session } from './support/auth';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn } from './support/browser';
import { startApp, type RunningApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';
import { MQTT_TEST_URL, waitFor } from './support/env';

interface BarFacts {
  state: string | null;
  labels: number;
  current: number[];
  previous: Array<number | null>;
  drawnCurrent: number;
  drawnPrevious: number;
  overlaid: boolean;
}

/**
 * The Energy page in headless Chromium against the real app (default flow, real broker and
 * Postgres seeded with 95 days of two meters, rolled up by the real maintenance): bars drawn
 * with the previous period overlaid on the same slots, top consumers and rooms, a phone's width,
 * and the downloads (energy page and device page) parsed back and compared with the database.
 */
describe('the Energy page in a real browser', function () {
  this.timeout(180000);
  let db: TestDatabase;
  let app: RunningApp;
  let mqtt: MqttClient;
  let browser: Browser;
  let page: Page;
  let pg: Pool;
  let operator: Session;
  const site = `en-${randomUUID().slice(0, 6)}`;
  const meter = `${site}/cocina/contador`;
  const plug = `${site}/salon/enchufe`;
  const zone = 'America/New_York';
  const pageErrors: string[] = [];

  const api = async <T>(path: string, init?: { method: string; body: unknown }): Promise<T> => {
    const res = await operator.fetch(`/api/v1${path}`, init ? { method: init.method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    db = await createTestDatabase('octopus_energy_ui');
    app = await startApp({ MQTT_URL: MQTT_TEST_URL, DATABASE_URL: db.url });
    operator = await app.login();
    mqtt = await connectAsync(MQTT_TEST_URL, { clientId: `energy-ui-${randomUUID()}` });
    await waitFor(() => /connected to mqtt/.test(app.output()), 10000, 'the source');
    // The registry learns both meters from a live reading; their history goes straight into the table.
    await mqtt.publishAsync(`${meter}/energy`, JSON.stringify({ value: 0, unit: 'kWh' }), { qos: 1 });
    await mqtt.publishAsync(`${plug}/energy`, JSON.stringify({ value: 0, unit: 'Wh' }), { qos: 1 });
    await waitFor(async () => (await api<{ total: number }>(`/devices?site=${site}`)).total === 2, 10000, 'both meters in the registry');
    await api(`/sites/${site}/energy/settings`, { method: 'PUT', body: { timeZone: zone, tariffs: { energy: { currency: 'EUR', price: 0.2, windows: [{ from: '22:00', to: '08:00', price: 0.1 }] } } } });
    pg = new Pool({ connectionString: db.url, max: 2 });
    await waitFor(async () => Number((await pg.query('select count(*) as n from readings where device_id = $1', [meter])).rows[0].n) > 0, 20000, 'the first reading stored');
    // 95 days every 15 minutes: the meter in kWh (more by day than by night), the plug in Wh; the meter resets once.
    await pg.query(
      `insert into readings (device_id, attribute, ts, num, unit, device_ts)
       select $1, 'energy', t, case when t < now() - interval '40 days' then 8000 else 0 end
              + sum(case when extract(hour from t) between 8 and 21 then 0.4 else 0.1 end) over (partition by t < now() - interval '40 days' order by t), 'kWh', true
         from generate_series(now() - interval '95 days', now() - interval '2 minutes', interval '15 minutes') as t`,
      [meter],
    );
    await pg.query(
      `insert into readings (device_id, attribute, ts, num, unit, device_ts)
       select $1, 'energy', t, 50 * row_number() over (order by t), 'Wh', true
         from generate_series(now() - interval '95 days', now() - interval '2 minutes', interval '15 minutes') as t`,
      [plug],
    );
    await pg.query(`insert into rollup_pending (bucket) select distinct date_bin('5 minutes', ts, timestamptz 'epoch') from readings on conflict do nothing`);
    await waitFor(async () => {
      await runHistoryMaintenance(pg, { rawRetentionDays: 0, bucketsPerRun: 30000 });
      const left = await pg.query<{ n: string }>(`select count(*) as n from rollup_pending where bucket < now() - interval '10 minutes'`);
      return Number(left.rows[0].n) === 0;
    }, 120000, 'the 95 days rolled up');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
    });
    await signIn(page, app.baseUrl, app.admin.username, app.admin.password, `#/energy/${encodeURIComponent(site)}`);
  });
  after(async () => {
    await browser?.close();
    await pg?.end();
    await mqtt?.endAsync();
    await app?.stop();
    await db?.drop();
  });

  /** What Chart.js holds and drew on the Energy page. */
  const bars = (): Promise<BarFacts> =>
    page.evaluate(() => {
      const box = document.querySelector('.energy-chart') as HTMLElement;
      const canvas = box.querySelector('canvas') as HTMLCanvasElement;
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): any } }).Chart.getChart(canvas); // eslint-disable-line @typescript-eslint/no-explicit-any
      const now = chart.getDatasetMeta(0).data as Array<{ x: number; height: number }>;
      const before = chart.getDatasetMeta(1).data as Array<{ x: number; height: number }>;
      return {
        state: box.dataset.state ?? null,
        labels: chart.data.labels.length,
        current: chart.data.datasets[0].data,
        previous: chart.data.datasets[1].data,
        drawnCurrent: now.filter((b) => b.height > 0.5).length,
        drawnPrevious: before.filter((b) => b.height > 0.5).length,
        // Overlaid: each previous bar stands on the same slot as the current one.
        overlaid: now.length === before.length && now.every((b, i) => Math.abs(b.x - before[i].x) < 0.5),
      };
    });

  it('draws last month\'s days as bars with the month before overlaid, on a phone\'s width', async () => {
    await page.locator('.energy-chart[data-state="ready"]').waitFor({ timeout: 30000 });
    // Last month: fully inside the 95 days, whatever today's date; the month before it too.
    await page.locator('button[data-action="previous"]').click();
    await waitFor(async () => (await bars()).state === 'ready', 20000, 'last month drawn');
    const f = await bars();
    assert.ok(f.labels >= 28 && f.labels <= 31, `${f.labels} days`);
    assert.equal(f.current.length, f.labels);
    assert.equal(f.drawnCurrent, f.labels, 'a bar for every day');
    assert.ok(f.previous.filter((v) => v !== null && v > 0).length >= 28, 'the month before has its days');
    assert.ok(f.drawnPrevious >= 28);
    assert.ok(f.overlaid, 'the month before is drawn on the same day slots');

    // The bars are the API's numbers for the same month in the site's zone.
    const title = await page.locator('.energy-title').textContent();
    const href = (await page.locator('#energy-download').getAttribute('href')) ?? '';
    const shown = new URL(href, app.baseUrl).searchParams;
    const c = await api<{ buckets: Array<{ total: number }>; devices: Array<{ deviceId: string }>; rooms: Array<{ room: string }>; timeZone: string }>(
      `/sites/${site}/consumption?period=day&from=${encodeURIComponent(shown.get('from')!)}&to=${encodeURIComponent(shown.get('to')!)}`,
    );
    assert.equal(c.timeZone, zone);
    assert.deepEqual(f.current, c.buckets.map((b) => b.total), `bars of ${title}`);
    assert.ok(f.current.every((v) => v > 0));

    assert.deepEqual(await page.locator('#top-consumers li').evaluateAll((li) => li.map((x) => x.getAttribute('data-name'))), ['contador', 'enchufe']);
    assert.deepEqual(await page.locator('#room-split li').evaluateAll((li) => li.map((x) => x.getAttribute('data-name'))), ['cocina', 'salon']);
    assert.match((await page.locator('.energy-total').textContent()) ?? '', /kWh · /, 'total with its cost');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    assert.deepEqual(pageErrors, []);
  });

  it('downloads the shown month as daily statistics that parse back into the database\'s rows', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#energy-download').click()]);
    assert.match(download.suggestedFilename(), /^octopus-en-[0-9a-f]{6}-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-1day\.csv$/);
    const rows = parseCsv(readFileSync((await download.path())!, 'utf8'));
    assert.deepEqual(rows[0], ['time', 'device_id', 'site', 'room', 'device', 'attribute', 'count', 'mean', 'min', 'max', 'first', 'last', 'delta', 'unit']);
    const shown = new URL(download.url()).searchParams;
    const fromDb = await pg.query<{ day: string; device_id: string; n: number; first: number; last: number }>(
      `select to_char(date_trunc('day', ts, $4) at time zone $4, 'YYYY-MM-DD') as day, device_id, count(*)::int as n,
              (array_agg(num order by ts))[1] as first, (array_agg(num order by ts desc))[1] as last
         from readings where device_id = any($1) and ts >= $2 and ts < $3 group by 1, 2 order by 1, 2`,
      [[meter, plug], shown.get('from'), shown.get('to'), zone],
    );
    const got = rows.slice(1).map((r) => ({ day: r[0].slice(0, 10), device_id: r[1], n: Number(r[6]), first: Number(r[10]), last: Number(r[11]) }));
    assert.ok(got.length >= 56, `${got.length} day rows`);
    assert.deepEqual(got, fromDb.rows.map((r) => ({ ...r, first: Number(r.first), last: Number(r.last) })));
    assert.ok(rows.slice(1).every((r) => /^\d{4}-\d{2}-\d{2}T00:00:00\.000-0[45]:00$/.test(r[0])), 'local midnights in New York');
  });

  it('downloads the device page\'s range as raw readings that parse back into the same rows', async () => {
    await page.goto(`${app.baseUrl}/ui/#/device/${encodeURIComponent(meter)}`);
    await page.locator('#device-download').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#device-download').click()]);
    const rows = parseCsv(readFileSync((await download.path())!, 'utf8'));
    const shown = new URL(download.url()).searchParams;
    const fromDb = await pg.query<{ ts: Date; num: number }>('select ts, num from readings where device_id = $1 and ts >= $2 and ts < $3 order by ts', [meter, shown.get('from'), shown.get('to')]);
    assert.ok(fromDb.rows.length >= 90, `${fromDb.rows.length} readings in the last 24 h`);
    assert.deepEqual(
      rows.slice(1).map((r) => [Date.parse(r[0]), Number(r[6]), r[7]]),
      fromDb.rows.map((r) => [r.ts.getTime(), r.num, 'kWh']),
    );
    assert.deepEqual(pageErrors, []);
  });

  it('edits an attribute\'s class in /ui: the plug stops counting, then counts again', async () => {
    await page.goto(`${app.baseUrl}/ui/#/energy/${encodeURIComponent(site)}`);
    await page.locator('.energy-chart[data-state="ready"]').waitFor({ timeout: 30000 });
    await page.locator('summary', { hasText: 'Counters and classes' }).click();
    const select = page.locator(`select[data-device-id="${plug}"][data-attribute="energy"]`);
    await select.selectOption('measurement');
    await page.locator('.class-row', { hasText: 'now measurement' }).waitFor({ timeout: 10000 });
    const classes = () => api<{ items: Array<{ deviceId: string; class: string; source: string }> }>(`/sites/${site}/energy/attributes`);
    assert.deepEqual((await classes()).items.filter((i) => i.deviceId === plug).map((i) => [i.class, i.source]), [['measurement', 'user']]);
    assert.deepEqual((await api<{ devices: Array<{ deviceId: string }> }>(`/sites/${site}/consumption`)).devices.map((d) => d.deviceId), [meter]);
    await select.selectOption('');
    await page.locator('.class-row', { hasText: 'now counter' }).waitFor({ timeout: 10000 });
    assert.deepEqual((await classes()).items.filter((i) => i.deviceId === plug).map((i) => [i.class, i.source]), [['counter', 'unit']]);
    assert.deepEqual(pageErrors, []);
  });
});
