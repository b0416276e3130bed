import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium } from 'playwright-core';
import { startApp } from '../test/support/app';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/browser';
import { createTestDatabase } from '../test/support/database';
import { startMosquitto } from '../test/support/mosquitto';
import { percentile, round, type Figures } from './support/figures';

/**
 * The live bench: publish → value visible in the browser. The real app (default flow, Mosquitto
 * with the project's config, Postgres) serves /ui to headless Chromium; in the background,
 * BACKGROUND_RATE readings a second go to 50 other devices (all shown on the same overview page);
 * a probe device gets a new value at random intervals, and a MutationObserver in the page records
 * when its value's text changes. Latency = that time − the time just before the publish (one
 * machine, one clock).
 */
const PROBES = Number(process.env.BENCH_LIVE_PROBES || 250);
const BACKGROUND_RATE = Number(process.env.BENCH_LIVE_RATE || 1000);
const BACKGROUND_DEVICES = 50;
const SITE = 'bench-live';
const PROBE = `${SITE}/probe/p1`;

/** Publishes `rate` QoS 1 readings a second round-robin over the background devices until stopped. */
function background(client: MqttClient, rate: number): { stop(): Promise<number> } {
  const series: string[] = [];
  for (let d = 0; d < BACKGROUND_DEVICES; d++) for (const a of ['temperature', 'humidity']) series.push(`${SITE}/room${d % 5}/dev${d}/${a}`);
  let sent = 0;
  const t0 = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    while (sent < due) {
      const topic = series[sent % series.length];
      client.publish(topic, String(round(20 + Math.sin(sent / 100) * 5 + (sent % 7) / 10, 2)), { qos: 1 });
      sent++;
    }
  }, 5);
  return {
    stop: async () => {
      clearInterval(timer);
      return sent / ((Date.now() - t0) / 1000);
    },
  };
}

/**
 * The same stream as the page's, read by this process: when each probe value left the server (as
 * far as a client on the same machine can tell), to split the latency into server and browser.
 */
async function streamWatcher(url: string): Promise<{ seen: Map<string, number>; close(): void }> {
  const seen = new Map<string, number>();
  const res = await new Promise<IncomingMessage>((resolve, reject) => request(url, resolve).on('error', reject).end());
  res.setEncoding('utf8');
  let buffer = '';
  res.on('data', (chunk: string) => {
    const now = Date.now();
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!/^event: readings$/m.test(frame)) continue;
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      for (const r of JSON.parse(data ?? '[]') as Array<{ value: unknown }>) if (!seen.has(String(r.value))) seen.set(String(r.value), now);
    }
  });
  return { seen, close: () => res.destroy() };
}

export async function runLiveBench(): Promise<Figures> {
  const broker = await startMosquitto();
  const db = await createTestDatabase('octopus_bench');
  const app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url });
  const probe = await connectAsync(broker.url, { clientId: `bench-live-probe-${process.pid}` });
  const load = await connectAsync(broker.url, { clientId: `bench-live-load-${process.pid}` });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    // The app's source subscribes shortly after start: publish until the probe device shows up.
    for (let i = 0; ; i++) {
      await probe.publishAsync(`${PROBE}/value`, '0', { qos: 1 });
      const res = await fetch(`${app.baseUrl}/api/v1/devices/${encodeURIComponent(PROBE)}`);
      if (res.ok) break;
      if (i > 100) throw new Error('the probe device never reached the registry');
      await new Promise((r) => setTimeout(r, 200));
    }
    const watcher = await streamWatcher(`${app.baseUrl}/ui/events?device=${encodeURIComponent(PROBE)}`);
    const bg = background(load, BACKGROUND_RATE);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${app.baseUrl}/ui/`);
    const selector = `.value[data-device-id="${PROBE}"][data-attribute="value"]`;
    await page.locator(selector).waitFor({ timeout: 15000 });
    await page.locator(`.value[data-device-id="${SITE}/room4/dev49"][data-attribute="humidity"]`).waitFor({ timeout: 15000 });
    // Every change of the probe's text, stamped in the page.
    await page.evaluate((sel) => {
      const target = document.querySelector(sel) as HTMLElement;
      const seen: Array<[string, number]> = [];
      (window as unknown as { __probe: Array<[string, number]> }).__probe = seen;
      new MutationObserver(() => seen.push([target.textContent ?? '', performance.timeOrigin + performance.now()])).observe(target, { childList: true, characterData: true, subtree: true });
    }, selector);
    console.log(`  ${BACKGROUND_RATE} readings/s on ${BACKGROUND_DEVICES} other devices; ${PROBES} probes …`);

    const published = new Map<string, number>();
    const latencies: number[] = [];
    let missed = 0;
    for (let i = 1; i <= PROBES; i++) {
      const value = String(1000 + i);
      const t = Date.now();
      published.set(value, t);
      await new Promise<void>((res, rej) => probe.publish(`${PROBE}/value`, value, { qos: 1 }, (err) => (err ? rej(err) : res())));
      const seenAt = await page
        .waitForFunction((v) => (window as unknown as { __probe: Array<[string, number]> }).__probe.find((e) => e[0] === v)?.[1], value, { timeout: 5000, polling: 20 })
        .then((h) => h.jsonValue() as Promise<number>)
        .catch(() => undefined);
      if (seenAt === undefined) missed++;
      else latencies.push(seenAt - t);
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
    }
    const achieved = await bg.stop();
    watcher.close();
    latencies.sort((a, b) => a - b);
    const server = [...published].flatMap(([v, t]) => (watcher.seen.has(v) ? [(watcher.seen.get(v) as number) - t] : [])).sort((a, b) => a - b);
    const figures: Figures = {
      live_p50_ms: round(percentile(latencies, 50), 1),
      live_p95_ms: round(percentile(latencies, 95), 1),
      live_p99_ms: round(percentile(latencies, 99), 1),
      live_max_ms: round(latencies[latencies.length - 1] ?? NaN, 1),
      live_probes: latencies.length,
      live_missed: missed,
      live_background_per_s: Math.round(achieved),
      live_server_p50_ms: round(percentile(server, 50), 1),
      live_server_p95_ms: round(percentile(server, 95), 1),
    };
    console.log(`  publish → visible: p50 ${figures.live_p50_ms} ms, p95 ${figures.live_p95_ms} ms, p99 ${figures.live_p99_ms} ms, max ${figures.live_max_ms} ms (${latencies.length} probes, ${missed} missed; background ${figures.live_background_per_s}/s)`);
    console.log(`  of which publish → stream (a client in this process): p50 ${figures.live_server_p50_ms} ms, p95 ${figures.live_server_p95_ms} ms`);
    const out = resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'live.json'), JSON.stringify({ at: new Date().toISOString(), figures, latenciesMs: latencies.map((l) => round(l, 1)) }, null, 2) + '\n');
    return figures;
  } finally {
    await browser.close();
    await probe.endAsync();
    await load.endAsync();
    await app.stop();
    await db.drop();
    await broker.stop();
  }
}
