import type { AvailabilityState, ProfileName, Reading, ReadingValue, Reject } from '../model/reading';
import { attributeLimitReject, DEFAULT_HOUSE_LIMITS, deviceLimitReject } from './house-limits';

/**
 * The device registry's model: every site, room and device seen, with its attributes and
 * availability, kept in memory so that bookkeeping per reading is a couple of Map lookups. Pure:
 * no Node-RED, no database; the registry node persists what `takeDirty()` hands it.
 */
export type DeviceState = 'online' | 'stale' | 'offline';

export type ControlSpec =
  | { kind: 'switch' }
  | { kind: 'level'; min: number; max: number; step: number }
  | { kind: 'setpoint'; min: number; max: number; step: number };

export interface DeviceMeta {
  name?: string;
  /** The room shown to people; the topic's room stays the device's identity, so moving keeps history. */
  room?: string;
  kind?: string;
  icon?: string;
  /** Reporting interval set by an operator; overrides the learned cadence. */
  expectedIntervalMs?: number;
  controls?: Record<string, ControlSpec>;
  model?: string;
  manufacturer?: string;
  firmware?: string;
}

export interface AttributeState {
  value: ReadingValue;
  unit?: string;
  ts: number;
  firstSeen: number;
}

export interface DeviceRecord {
  deviceId: string;
  site: string;
  room: string;
  device: string;
  profile?: ProfileName;
  state: DeviceState;
  stateSince: number;
  stateReason: string;
  firstSeen: number;
  lastSeen: number;
  /** Typical time between reports, learned from the device's cadence (ms). */
  learnedIntervalMs?: number;
  /** What the device (or its last will) last said about being reachable. */
  availability?: AvailabilityState;
  attributes: Map<string, AttributeState>;
  meta: DeviceMeta;
}

export type RegistryEventType = 'device-added' | 'attribute-added' | 'online' | 'stale' | 'offline' | 'metadata-changed' | 'device-removed';

export interface RegistryEvent {
  type: RegistryEventType;
  deviceId: string;
  ts: number;
  /** Why the state changed, or which attribute / metadata fields. */
  reason: string;
}

export interface RegistryOptions {
  /** Silence longer than this many intervals makes a device stale… */
  staleAfterIntervals: number;
  /** …and this many, offline. */
  offlineAfterIntervals: number;
  /** Floors, so that a chatty device is not declared stale by a short hiccup. */
  minStaleMs: number;
  minOfflineMs: number;
  /** Cadence assumed until one is learned or set. */
  defaultIntervalMs: number;
  /** Devices one site may have: a reading or event for a new device beyond it is refused (`device-limit`). */
  maxDevicesPerSite: number;
  /** Attributes one device may have: a reading of a new attribute beyond it is refused (`attribute-limit`). */
  maxAttributesPerDevice: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  staleAfterIntervals: 3,
  offlineAfterIntervals: 10,
  minStaleMs: 30_000,
  minOfflineMs: 120_000,
  defaultIntervalMs: 300_000,
  ...DEFAULT_HOUSE_LIMITS,
};

/** Reports closer together than this are one burst (a device publishing several attributes at once). */
const BURST_MS = 1000;
const NO_EVENTS: readonly RegistryEvent[] = Object.freeze([]);

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  /** Devices per site, for the limit. */
  private readonly perSite = new Map<string, number>();
  readonly options: RegistryOptions;
  /** Readings and events refused by the limits, by code (never dropped silently: the devices node shows them, /metrics counts them). */
  readonly refused: Record<string, number> = {};
  /** The last refusal, for the node status. */
  lastRefusal: Reject | undefined;

  constructor(options: Partial<RegistryOptions> = {}) {
    this.options = { ...DEFAULT_REGISTRY_OPTIONS, ...options };
  }

  get size(): number {
    return this.devices.size;
  }

  get(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  all(): IterableIterator<DeviceRecord> {
    return this.devices.values();
  }

  /** Restores devices from storage (after a restart); call `sweep(now)` next to re-evaluate them. */
  load(records: Iterable<DeviceRecord>): void {
    for (const r of records) {
      if (!this.devices.has(r.deviceId)) this.perSite.set(r.site, (this.perSite.get(r.site) ?? 0) + 1);
      this.devices.set(r.deviceId, r);
    }
  }

  /** Devices of a site. */
  devicesIn(site: string): number {
    return this.perSite.get(site) ?? 0;
  }

  /** Why a new device (or a new attribute of a known one) would cross a limit; undefined when it would not. */
  refusal(ref: { deviceId: string; site: string }, attribute?: string): Reject | undefined {
    const d = this.devices.get(ref.deviceId);
    if (d === undefined) {
      const max = this.options.maxDevicesPerSite;
      return this.devicesIn(ref.site) >= max ? deviceLimitReject(ref.site, ref.deviceId, max, attribute) : undefined;
    }
    if (attribute === undefined || d.attributes.has(attribute)) return undefined;
    const max = this.options.maxAttributesPerDevice;
    return d.attributes.size >= max ? attributeLimitReject(d.deviceId, attribute, max) : undefined;
  }

  private refuse(r: Reject): readonly RegistryEvent[] {
    this.refused[r.code] = (this.refused[r.code] ?? 0) + 1;
    this.lastRefusal = r;
    return NO_EVENTS;
  }

  private added(d: DeviceRecord): void {
    this.devices.set(d.deviceId, d);
    this.perSite.set(d.site, (this.perSite.get(d.site) ?? 0) + 1);
    this.removed.delete(d.deviceId);
  }

  /** The hot path: one reading. Returns the events it caused (usually none, without allocating). */
  observeReading(r: Reading, now: number, profile?: ProfileName): readonly RegistryEvent[] {
    let events: RegistryEvent[] | undefined;
    let d = this.devices.get(r.deviceId);
    if (d === undefined || !d.attributes.has(r.attribute)) {
      const no = this.refusal(r, r.attribute);
      if (no !== undefined) return this.refuse(no);
    }
    if (!d) {
      d = {
        deviceId: r.deviceId,
        site: r.site,
        room: r.room,
        device: r.device,
        profile,
        state: 'online',
        stateSince: now,
        stateReason: 'first reading',
        firstSeen: now,
        lastSeen: now,
        attributes: new Map(),
        meta: {},
      };
      this.added(d);
      events = [{ type: 'device-added', deviceId: r.deviceId, ts: now, reason: `first reading (${r.attribute})` }];
    } else {
      const gap = now - d.lastSeen;
      if (gap >= BURST_MS) {
        const learned = d.learnedIntervalMs;
        // A long outage is not the device's cadence: cap each sample at 4× the estimate.
        const sample = learned === undefined ? gap : Math.min(gap, learned * 4);
        d.learnedIntervalMs = learned === undefined ? sample : Math.round(learned * 0.8 + sample * 0.2);
      }
      if (now > d.lastSeen) d.lastSeen = now;
      if (d.state !== 'online') {
        events = [this.transition(d, 'online', now, `reading after ${formatMs(gap)} of silence`)];
      }
    }
    const a = d.attributes.get(r.attribute);
    if (a) {
      if (r.ts >= a.ts) {
        a.value = r.value;
        a.ts = r.ts;
        if (r.unit !== undefined) a.unit = r.unit;
      }
    } else {
      d.attributes.set(r.attribute, { value: r.value, unit: r.unit, ts: r.ts, firstSeen: now });
      if (!events) events = [];
      if (events.length === 0 || events[0].type !== 'device-added') {
        events.push({ type: 'attribute-added', deviceId: d.deviceId, ts: now, reason: r.attribute });
      }
    }
    this.dirty.add(d.deviceId);
    return events ?? NO_EVENTS;
  }

  /** The device (or its last will) said whether it is reachable. */
  observeAvailability(
    ref: { deviceId: string; site: string; room: string; device: string; profile?: ProfileName },
    state: AvailabilityState,
    native: string,
    now: number,
  ): readonly RegistryEvent[] {
    let d = this.devices.get(ref.deviceId);
    const events: RegistryEvent[] = [];
    if (!d) {
      const no = this.refusal(ref);
      if (no !== undefined) return this.refuse(no);
      d = {
        deviceId: ref.deviceId,
        site: ref.site,
        room: ref.room,
        device: ref.device,
        profile: ref.profile,
        state: state === 'offline' ? 'offline' : 'online',
        stateSince: now,
        stateReason: `announced ${native}`,
        firstSeen: now,
        lastSeen: now,
        attributes: new Map(),
        meta: {},
      };
      this.added(d);
      events.push({ type: 'device-added', deviceId: d.deviceId, ts: now, reason: `availability ${native}` });
    }
    d.availability = state;
    this.dirty.add(d.deviceId);
    if (state === 'offline' && d.state !== 'offline') {
      events.push(this.transition(d, 'offline', now, `reported ${native}`));
    } else if (state === 'online') {
      d.lastSeen = Math.max(d.lastSeen, now);
      if (d.state !== 'online') events.push(this.transition(d, 'online', now, `reported ${native}`));
    }
    return events;
  }

  /**
   * Re-evaluates silence: online → stale → offline as the device misses its expected interval.
   * Devices whose last will said offline stay offline until they speak again.
   */
  sweep(now: number): RegistryEvent[] {
    const events: RegistryEvent[] = [];
    for (const d of this.devices.values()) {
      if (d.state === 'offline') continue;
      const silence = now - d.lastSeen;
      const interval = this.intervalOf(d);
      const o = this.options;
      const offlineAfter = Math.max(o.minOfflineMs, interval * o.offlineAfterIntervals);
      if (silence > offlineAfter) {
        events.push(this.transition(d, 'offline', now, `silent for ${formatMs(silence)} (expected every ${formatMs(interval)})`));
      } else if (d.state === 'online' && silence > Math.max(o.minStaleMs, interval * o.staleAfterIntervals)) {
        events.push(this.transition(d, 'stale', now, `silent for ${formatMs(silence)} (expected every ${formatMs(interval)})`));
      }
    }
    return events;
  }

  /** The interval the device is judged by: the operator's, else the learned one, else the default. */
  intervalOf(d: DeviceRecord): number {
    return d.meta.expectedIntervalMs ?? d.learnedIntervalMs ?? this.options.defaultIntervalMs;
  }

  /** Applies a validated metadata change; `undefined` values clear a field. */
  updateMeta(deviceId: string, patch: Partial<DeviceMeta>, now: number): RegistryEvent | undefined {
    const d = this.devices.get(deviceId);
    if (!d) return undefined;
    const changed: string[] = [];
    for (const [k, v] of Object.entries(patch) as Array<[keyof DeviceMeta, DeviceMeta[keyof DeviceMeta]]>) {
      if (JSON.stringify(d.meta[k]) === JSON.stringify(v)) continue;
      if (v === undefined || v === null) delete d.meta[k];
      else (d.meta as Record<string, unknown>)[k] = v;
      changed.push(k);
    }
    if (changed.length === 0) return undefined;
    this.dirty.add(deviceId);
    return { type: 'metadata-changed', deviceId, ts: now, reason: changed.join(', ') };
  }

  /** Forgets a device (its readings stay in the database). */
  remove(deviceId: string, now: number, reason = 'forgotten'): RegistryEvent | undefined {
    const d = this.devices.get(deviceId);
    if (d === undefined) return undefined;
    this.devices.delete(deviceId);
    const left = (this.perSite.get(d.site) ?? 1) - 1;
    if (left > 0) this.perSite.set(d.site, left);
    else this.perSite.delete(d.site);
    this.dirty.delete(deviceId);
    this.removed.add(deviceId);
    return { type: 'device-removed', deviceId, ts: now, reason };
  }

  /** Devices changed since the last call, and ids removed: what the persistence layer must write. */
  takeDirty(): { changed: DeviceRecord[]; removed: string[] } {
    const changed: DeviceRecord[] = [];
    for (const id of this.dirty) {
      const d = this.devices.get(id);
      if (d) changed.push(d);
    }
    this.dirty.clear();
    const removed = [...this.removed];
    this.removed.clear();
    return { changed, removed };
  }

  /** Puts back what a failed save took, so the next save writes it. */
  requeueDirty(changed: readonly string[], removed: readonly string[]): void {
    for (const id of changed) if (this.devices.has(id)) this.dirty.add(id);
    for (const id of removed) if (!this.devices.has(id)) this.removed.add(id);
  }

  private transition(d: DeviceRecord, state: DeviceState, now: number, reason: string): RegistryEvent {
    d.state = state;
    d.stateSince = now;
    d.stateReason = reason;
    this.dirty.add(d.deviceId);
    return { type: state, deviceId: d.deviceId, ts: now, reason };
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
