import type { Reading, ReadingValue } from '../model/reading';

/** What the dashboard shows of one device: identity, state and the latest value of each attribute. */
export interface LiveDevice {
  deviceId: string;
  site: string;
  room: string;
  device: string;
  name?: string;
  state?: 'online' | 'stale' | 'offline';
  lastSeen: number;
  attributes: Record<string, LiveValue>;
}

export interface LiveValue {
  value: ReadingValue;
  unit?: string;
  ts: number;
}

/** One change pushed to browsers: the latest value of a device attribute. */
export interface LiveReading {
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
  value: ReadingValue;
  unit?: string;
  ts: number;
}

/**
 * The dashboard's in-memory picture: latest value per device attribute, updated by readings and
 * seeded from the registry after a restart. Pure.
 */
export class LiveModel {
  private readonly devices = new Map<string, LiveDevice>();

  get size(): number {
    return this.devices.size;
  }

  /** Applies a reading; returns false when it is older than what is shown. */
  apply(r: Reading, now: number): boolean {
    let d = this.devices.get(r.deviceId);
    if (!d) {
      d = { deviceId: r.deviceId, site: r.site, room: r.room, device: r.device, lastSeen: now, attributes: {} };
      this.devices.set(r.deviceId, d);
    }
    d.lastSeen = now;
    const current = d.attributes[r.attribute];
    if (current && current.ts > r.ts) return false;
    d.attributes[r.attribute] = r.unit === undefined ? { value: r.value, ts: r.ts } : { value: r.value, unit: r.unit, ts: r.ts };
    return true;
  }

  /** Replaces a device's identity and state (from the registry), keeping newer values already shown. */
  upsert(device: LiveDevice): void {
    const d = this.devices.get(device.deviceId);
    if (!d) {
      this.devices.set(device.deviceId, { ...device, attributes: { ...device.attributes } });
      return;
    }
    d.name = device.name;
    d.state = device.state;
    d.room = device.room;
    d.lastSeen = Math.max(d.lastSeen, device.lastSeen);
    for (const [k, v] of Object.entries(device.attributes)) {
      const mine = d.attributes[k];
      if (!mine || mine.ts < v.ts) d.attributes[k] = v;
    }
  }

  setState(deviceId: string, state: LiveDevice['state']): LiveDevice | undefined {
    const d = this.devices.get(deviceId);
    if (d) d.state = state;
    return d;
  }

  get(deviceId: string): LiveDevice | undefined {
    return this.devices.get(deviceId);
  }

  remove(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  snapshot(): LiveDevice[] {
    return [...this.devices.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  }
}
