import type { Reading } from '../lib/model/reading';
import { DeviceRegistry } from '../lib/registry/device-registry';
import { round, type Figures } from './support/figures';

/**
 * Registry bookkeeping per reading with 100k devices registered: the in-memory path the devices
 * node runs for every reading (device lookup, cadence, attribute update, dirty mark). Baseline in
 * the same run: a bare Map lookup and property write per reading, the least any registry must do.
 */
export async function runRegistryBench(): Promise<Figures> {
  const DEVICES = 100_000;
  const ATTRS = ['temperature', 'humidity', 'power'];
  const readings: Reading[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const site = `casa-${i % 1000}`;
    const device = `dev-${i}`;
    for (const attribute of ATTRS) {
      readings.push({ deviceId: `${site}/salon/${device}`, site, room: 'salon', device, attribute, value: i % 40, unit: '°C', ts: 0, deviceTs: true });
    }
  }
  const registry = new DeviceRegistry();
  let now = Date.parse('2026-11-23T10:00:00Z'); // the registry's injected clock, advanced by hand
  for (const r of readings) registry.observeReading(r, now);
  registry.takeDirty();
  console.log(`registry holds ${registry.size} devices, ${readings.length} attributes`);

  const ROUNDS = 5;
  let best = Infinity;
  for (let k = 0; k < ROUNDS; k++) {
    now += 10_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      r.ts = now;
      registry.observeReading(r, now);
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / readings.length;
    best = Math.min(best, us);
    registry.takeDirty();
  }

  const bare = new Map<string, { lastSeen: number; values: Map<string, unknown> }>();
  for (const r of readings) {
    let d = bare.get(r.deviceId);
    if (!d) bare.set(r.deviceId, (d = { lastSeen: 0, values: new Map() }));
    d.values.set(r.attribute, r.value);
  }
  let baseline = Infinity;
  for (let k = 0; k < ROUNDS; k++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      const d = bare.get(r.deviceId);
      if (d) {
        d.lastSeen = now;
        d.values.set(r.attribute, r.value);
      }
    }
    baseline = Math.min(baseline, Number(process.hrtime.bigint() - t0) / 1000 / readings.length);
  }
  const t0 = process.hrtime.bigint();
  registry.sweep(now + 60_000);
  const sweepMs = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`registry bookkeeping: ${round(best, 3)} µs/reading (bare Map baseline ${round(baseline, 3)} µs); sweep of ${registry.size} devices: ${round(sweepMs, 1)} ms`);
  return {
    registry_us_per_reading: round(best, 3),
    registry_baseline_us_per_reading: round(baseline, 3),
    registry_ratio_vs_baseline: round(best / baseline, 2),
    registry_sweep_ms_100k: round(sweepMs, 1),
  };
}
