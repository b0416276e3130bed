import type { DeviceRow } from './8-readings-store';
import type { Reading } from '../model/reading';

/**
 * Which devices a batch must write to the `devices` table: new ones, and known ones whose
 * last_seen there is older than `refreshMs`. Without it every batch would rewrite a row per device
 * it carries (1000 devices, 1000 row updates per batch), doubling the database's write load for a
 * timestamp the registry keeps current anyway.
 */
export class DeviceTouches {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly refreshMs = 60_000,
    private readonly maxTracked = 500_000,
  ) {}

  /** The readings whose device needs a write (one per device, the latest), in no particular order. */
  due(readings: readonly Reading[]): Reading[] {
    const latest = new Map<string, Reading>();
    for (const r of readings) {
      const last = this.written.get(r.deviceId);
      if (last !== undefined && r.ts - last < this.refreshMs) continue;
      const seen = latest.get(r.deviceId);
      if (!seen || seen.ts < r.ts) latest.set(r.deviceId, r);
    }
    return [...latest.values()];
  }

  /** Of each device's latest reading (lib/ingest/5-reading-batch.ts latestPerDevice), those that need a write. */
  dueOf(latest: ReadonlyMap<string, DeviceRow>): DeviceRow[] {
    const out: DeviceRow[] = [];
    for (const row of latest.values()) {
      const last = this.written.get(row.deviceId);
      if (last === undefined || row.ts - last >= this.refreshMs) out.push(row);
    }
    return out;
  }

  /** Records what a committed batch wrote. */
  markWritten(rows: readonly DeviceRow[]): void {
    if (this.written.size > this.maxTracked) this.written.clear();
    for (const r of rows) this.written.set(r.deviceId, r.ts);
  }
}
