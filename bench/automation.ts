import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { startApp } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { waitFor } from '../test/support/env';
import { startMosquitto } from '../test/support/mosquitto';
import { percentile, round, type Figures } from './support/figures';
import { LoadPublisher } from './support/load-publisher';

/**
 * Automation latency through the whole application (settings, default flow, Node-RED, real
 * Mosquitto and Postgres): from the publish of a reading that crosses an automation's limit to
 * its command arriving on the broker, with 1 000 automations over 100 sites (each "temperature
 * rises above 30 → light on") while 5 000 other readings per second flow through ingest.
 * BENCH_AUTOMATION_SECONDS (default 20) sets how long triggers are measured.
 */
const SITES = 100;
const PER_SITE = 10;
const BACKGROUND_RATE = Number(process.env.BENCH_AUTOMATION_RATE || 5000);
const SECONDS = Number(process.env.BENCH_AUTOMATION_SECONDS || 20);
const TRIGGER_EVERY_MS = 40;

export async function runAutomationBench(): Promise<Figures> {
  const db = await createTestDatabase('octopus_bench_automation');
  const broker = await startMosquitto();
  const app = await startApp({ MQTT_URL: broker.url, DATABASE_URL: db.url });
  const probe = await connectAsync(broker.url, { clientId: `bench-automation-${randomUUID()}`, clean: true });
  const load = new LoadPublisher(broker.url, 'bench-bg');
  try {
    await waitFor(() => /connected to mqtt/.test(app.output()) && /automation: \d+ automations/.test(app.output()), 30000, 'the app');
    const op = await app.login();
    const pairs: Array<{ site: string; sensor: string; light: string }> = [];
    for (let s = 0; s < SITES; s++) for (let j = 0; j < PER_SITE; j++) pairs.push({ site: `auto-${s}`, sensor: `auto-${s}/room/sensor-${j}`, light: `auto-${s}/room/light-${j}` });
    for (const p of pairs) {
      probe.publish(`${p.sensor}/temperature`, '20', { qos: 1 });
      probe.publish(`${p.light}/on`, 'false', { qos: 1 });
    }
    await waitFor(async () => (await op.json('GET', '/api/v1/devices?q=auto-&limit=0')).body.total === pairs.length * 2, 60000, 'the devices in the registry');
    const t0 = Date.now();
    for (const p of pairs) {
      const patched = await op.json('PATCH', `/api/v1/devices/${encodeURIComponent(p.light)}`, { controls: { on: { kind: 'switch' } } });
      if (patched.status !== 200) throw new Error(`controls: ${JSON.stringify(patched.body)}`);
      const made = await op.json('POST', `/api/v1/sites/${p.site}/automations`, {
        name: `${p.sensor} hot`,
        trigger: { type: 'reading', deviceId: p.sensor, attribute: 'temperature', above: 30 },
        actions: [{ type: 'command', deviceId: p.light, attribute: 'on', value: true }],
        maxRunsPerHour: 3600,
      });
      if (made.status !== 201) throw new Error(`automation: ${JSON.stringify(made.body)}`);
    }
    console.log(`1 000 automations over ${SITES} sites saved through the API in ${Date.now() - t0} ms`);

    // The lights answer their commands, as real ones do, so the tracker stays small.
    const pending = new Map<string, number>();
    const latencies: number[] = [];
    await probe.subscribeAsync('+/room/+/on/set', { qos: 1 });
    probe.on('message', (topic, payload) => {
      const light = topic.slice(0, -'/on/set'.length);
      const started = pending.get(light);
      if (started !== undefined) {
        latencies.push(performance.now() - started);
        pending.delete(light);
      }
      probe.publish(`${light}/on`, payload.toString(), { qos: 1 });
    });

    await load.connect();
    const background = load.publish(Math.round(BACKGROUND_RATE * (SECONDS + 3)), BACKGROUND_RATE);
    await new Promise((r) => setTimeout(r, 1500));
    const until = Date.now() + SECONDS * 1000;
    let k = 0;
    let triggers = 0;
    while (Date.now() < until) {
      const p = pairs[(k++ * 7) % pairs.length];
      // Below, then above: one crossing, one command.
      probe.publish(`${p.sensor}/temperature`, '20', { qos: 1 });
      pending.set(p.light, performance.now());
      probe.publish(`${p.sensor}/temperature`, '35', { qos: 1 });
      triggers++;
      await new Promise((r) => setTimeout(r, TRIGGER_EVERY_MS));
    }
    await waitFor(() => pending.size === 0, 10000, 'the last commands').catch(() => undefined);
    const sent = await background;
    const achieved = sent / (load.lastPublishMs / 1000);
    latencies.sort((a, b) => a - b);
    const figures: Figures = {
      automation_count: pairs.length,
      automation_sites: SITES,
      automation_background_per_s: round(achieved, 0),
      automation_triggers: triggers,
      automation_commands_seen: latencies.length,
      automation_p50_ms: round(percentile(latencies, 50), 1),
      automation_p99_ms: round(percentile(latencies, 99), 1),
      automation_max_ms: round(latencies[latencies.length - 1] ?? NaN, 1),
    };
    console.log(`triggers ${triggers}, commands seen ${latencies.length}, background ${round(achieved, 0)} readings/s`);
    console.log(`reading published → command on the broker: p50 ${figures.automation_p50_ms} ms, p99 ${figures.automation_p99_ms} ms, max ${figures.automation_max_ms} ms`);
    return figures;
  } finally {
    await load.close().catch(() => undefined);
    await probe.endAsync().catch(() => undefined);
    await app.stop();
    await broker.stop();
    await db.drop();
  }
}
