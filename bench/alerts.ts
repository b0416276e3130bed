import { performance } from 'node:perf_hooks';
import { AlertEngine, type AlertTransition } from '../lib/alerts/alert-engine';
import { AlertService } from '../lib/alerts/alert-service';
import { checkRules, type AlertRule } from '../lib/alerts/rules';
import type { Reading } from '../lib/model/reading';
import { percentile, round, type Figures } from './support/figures';

/**
 * Alerts: what evaluating rules costs per reading with 0, 1k and 10k rules (a stream over 10k
 * devices × 3 attributes), and the latency from a triggering reading to its alert event with 10k
 * rules while 20k readings/s flow through the alert service (the node's path minus Node-RED's
 * message passing, which is not ours to measure).
 */
const DEVICES = 10_000;
const SITES = 100;
const ATTRS = ['temperature', 'humidity', 'power'] as const;
const TRIGGER_SERIES = 50;

function deviceOf(i: number): { site: string; room: string; device: string; deviceId: string } {
  const site = `site-${i % SITES}`;
  const device = `dev-${i}`;
  return { site, room: 'room', device, deviceId: `${site}/room/${device}` };
}

/**
 * A realistic mix: most rules name one device, some cover a whole site, some use globs, some
 * watch for silence. None of them fire on the steady stream (values stay in range), so the cost
 * measured is the cost of evaluating, not of raising.
 */
function rulesFor(n: number): AlertRule[] {
  const rules: AlertRule[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 100;
    // j spreads the wider rules over sites and device-name prefixes instead of piling them on a few.
    const j = Math.floor(i / 100);
    if (kind < 90) {
      rules.push({ id: `dev-${i}`, device: `dev-${(i * 7) % DEVICES}`, attribute: ATTRS[i % 3], condition: 'above', threshold: 1000 + (i % 10), deadband: 1, forS: 60 });
    } else if (kind < 95) {
      rules.push({ id: `site-${i}`, site: `site-${(j * 5 + kind) % SITES}`, attribute: 'temperature', condition: 'outside', min: -50, max: 500, forReadings: 3 });
    } else if (kind < 98) {
      rules.push({ id: `glob-${i}`, device: `dev-${(j * 3 + kind) % 1000}*`, attribute: 'humidity', condition: 'below', threshold: -100 });
    } else {
      rules.push({ id: `silent-${i}`, device: `dev-${(i * 13) % DEVICES}`, attribute: 'power', condition: 'nodata', noDataS: 3600 });
    }
  }
  const checked = checkRules(rules);
  if (!checked.ok) throw new Error(`bench rules invalid: ${checked.errors.join('; ')}`);
  return checked.rules;
}

function stream(): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const d = deviceOf(i);
    // Plain literals, like the parser's: objects made by spread store a changing value far slower.
    for (const attribute of ATTRS) out.push({ deviceId: d.deviceId, site: d.site, room: d.room, device: d.device, attribute, value: 20, unit: '', ts: 0, deviceTs: false });
  }
  // Interleave devices the way a broker delivers them: not one device's attributes in a row.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function perReadingCost(rules: AlertRule[], readings: Reading[]): { us: number; newSeriesUs: number } {
  const engine = new AlertEngine(rules);
  let now = Date.parse('2026-11-23T10:00:00Z'); // the engine's injected clock, advanced by hand
  const t0 = performance.now();
  for (const r of readings) engine.observe(r, now);
  const newSeriesUs = ((performance.now() - t0) * 1000) / readings.length;
  engine.takeDirty();
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    // One clock value per round: the service reads the clock once per message, not per reading.
    now += 60_000;
    const start = performance.now();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      r.value = 20 + ((i + round) & 7);
      engine.observe(r, now);
    }
    best = Math.min(best, ((performance.now() - start) * 1000) / readings.length);
    engine.takeDirty();
  }
  return { us: best, newSeriesUs };
}

/** The node's emit path for one transition: the output message and the MQTT payload. */
function emitLikeTheNode(t: AlertTransition): number {
  const payload: Record<string, unknown> = { ...t.alert, transition: t.type };
  if (t.previousSeverity) payload.previousSeverity = t.previousSeverity;
  const msg = { topic: `alert/${t.type}/${t.alert.deviceId}/${t.alert.attribute}`, payload };
  return msg.topic.length + JSON.stringify(t.alert).length;
}

interface LatencyRun {
  /** From the call that hands the triggering reading to the service to its event leaving the node's emit path (ms). */
  observed: number[];
  /** From the reading's slot in the schedule (queueing behind the other readings included) to the same point (ms). */
  due: number[];
  achieved: number;
}

async function latency(rules: AlertRule[], readings: Reading[], rate: number, seconds: number): Promise<LatencyRun> {
  const triggers: AlertRule[] = [];
  for (let k = 0; k < TRIGGER_SERIES; k++) triggers.push({ id: `trigger-${k}`, device: `trig-${k}`, attribute: 'temperature', condition: 'above', threshold: 50, deadband: 5, severity: 'critical' });
  const service = new AlertService({ rules: [...rules.slice(0, rules.length - TRIGGER_SERIES), ...triggers] });
  await service.start();
  const triggerReadings: Reading[] = [];
  for (let k = 0; k < TRIGGER_SERIES; k++) {
    const site = `site-${k % SITES}`;
    triggerReadings.push({ deviceId: `${site}/room/trig-${k}`, site, room: 'room', device: `trig-${k}`, attribute: 'temperature', value: 20, ts: 0, deviceTs: false });
  }
  // Each triggering reading flips its series (high → raised, low → cleared): exactly one event each.
  let dueAt = 0;
  let observedAt = 0;
  let expecting = '';
  const observed: number[] = [];
  const due: number[] = [];
  let sink = 0;
  service.on('transition', (t: AlertTransition) => {
    sink += emitLikeTheNode(t);
    if (t.alert.deviceId !== expecting) return;
    const at = performance.now();
    observed.push(at - observedAt);
    due.push(at - dueAt);
    expecting = '';
  });
  // Warm the series so the run measures steady state, not first sight of 30k series.
  for (const r of readings) service.observeReadings([r]);
  for (const r of triggerReadings) service.observeReadings([r]);

  const total = rate * seconds;
  const everyNth = 200;
  const batch: Reading[] = [];
  let sent = 0;
  let flips = 0;
  const start = performance.now();
  while (sent < total) {
    const dueNow = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < dueNow) {
      let r: Reading;
      if (sent % everyNth === everyNth - 1) {
        r = triggerReadings[flips % TRIGGER_SERIES];
        r.value = Math.floor(flips / TRIGGER_SERIES) % 2 === 0 ? 80 : 20;
        flips++;
        expecting = r.deviceId;
        dueAt = start + (sent / rate) * 1000;
        observedAt = performance.now();
      } else {
        r = readings[sent % readings.length];
        r.value = 20 + (sent & 7);
      }
      batch.length = 0;
      batch.push(r);
      service.observeReadings(batch);
      sent++;
    }
    // Readings arrive in the bursts a 1 ms timer gives; the service's tick and save timers run between.
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = (performance.now() - start) / 1000;
  await service.stop();
  if (sink < 0) console.log(sink);
  return { observed: observed.sort((a, b) => a - b), due: due.sort((a, b) => a - b), achieved: sent / elapsed };
}

export async function runAlertsBench(): Promise<Figures> {
  const readings = stream();
  console.log(`alerts: a stream of ${readings.length} readings over ${DEVICES} devices × ${ATTRS.length} attributes in ${SITES} sites`);

  // Latency first, on a fresh heap: the cost runs below leave three large engines to collect.
  const RATE = 20_000;
  const SECONDS = 5;
  const run = await latency(rulesFor(10_000), readings, RATE, SECONDS);
  const p = (xs: number[], q: number) => round(percentile(xs, q), 3);
  console.log(
    `  latency with 10k rules while ${Math.round(run.achieved)} readings/s flow for ${SECONDS} s, ${run.observed.length} alert events (raised/cleared):\n` +
      `    reading handed to AlertService.observeReadings → event out of the node's emit path (output message + MQTT payload): ` +
      `p50 ${p(run.observed, 50)} ms, p99 ${p(run.observed, 99)} ms, max ${p(run.observed, 100)} ms\n` +
      `    reading's slot in the 20k/s schedule (queueing behind other readings, 1 ms arrival bursts) → same point: ` +
      `p50 ${p(run.due, 50)} ms, p99 ${p(run.due, 99)} ms, max ${p(run.due, 100)} ms`,
  );

  const costs: Record<string, { us: number; newSeriesUs: number }> = {};
  for (const [label, n] of [
    ['0', 0],
    ['1k', 1000],
    ['10k', 10_000],
  ] as const) {
    costs[label] = perReadingCost(rulesFor(n), readings);
    console.log(`  ${n} rules: ${round(costs[label].us, 3)} µs/reading steady state (${round(costs[label].newSeriesUs, 3)} µs/reading on first sight of each series, index lookup included)`);
  }
  return {
    alert_p50_ms: p(run.observed, 50),
    alert_p99_ms: p(run.observed, 99),
    alert_due_p50_ms: p(run.due, 50),
    alert_due_p99_ms: p(run.due, 99),
    alert_us_per_reading_0: round(costs['0'].us, 3),
    alert_us_per_reading_1k: round(costs['1k'].us, 3),
    alert_us_per_reading_10k: round(costs['10k'].us, 3),
    alert_ratio_10k_vs_0: round(costs['10k'].us / costs['0'].us, 1),
    alert_ratio_10k_vs_1k: round(costs['10k'].us / costs['1k'].us, 2),
    alert_us_per_new_series_10k: round(costs['10k'].newSeriesUs, 3),
    alert_readings_per_s: Math.round(run.achieved),
    alert_events_measured: run.observed.length,
  };
}
