/**
 * Bounds per house (issue #15): how many devices a site may have, and how many attributes a device.
 * A device publishing 50 000 unique topics would otherwise grow the registry, the live model, the
 * alert state and the tables until Node-RED runs out of memory. A reading (or a device event) that
 * would add a device to a full site, or an attribute to a full device, is refused with a reason
 * code (`device-limit`, `attribute-limit`): the parse node turns it into a reject (dead-lettered
 * and counted on /metrics), the registry refuses it again as a backstop (counted on the devices
 * node's status and on /metrics). Never dropped silently.
 *
 * Pure, no Node-RED import. Memory: at most maxDevicesPerSite × maxAttributesPerDevice names per site.
 */
import type { Reject } from '../model/reading';

export interface HouseLimitOptions {
  /** Devices one site may have. */
  maxDevicesPerSite: number;
  /** Attributes one device may have. */
  maxAttributesPerDevice: number;
}

export const DEFAULT_HOUSE_LIMITS: HouseLimitOptions = { maxDevicesPerSite: 2000, maxAttributesPerDevice: 200 };

/** The configured limits with defaults for what is absent or not a whole number ≥ 1. */
export function houseLimitOptions(o: Partial<Record<keyof HouseLimitOptions, unknown>> = {}): HouseLimitOptions {
  const pick = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : d);
  return {
    maxDevicesPerSite: pick(o.maxDevicesPerSite, DEFAULT_HOUSE_LIMITS.maxDevicesPerSite),
    maxAttributesPerDevice: pick(o.maxAttributesPerDevice, DEFAULT_HOUSE_LIMITS.maxAttributesPerDevice),
  };
}

export function deviceLimitReject(site: string, deviceId: string, max: number, attribute?: string): Reject {
  return {
    code: 'device-limit',
    reason: `site ${JSON.stringify(site.slice(0, 60))} already has ${max} devices (the limit per site); new device ${JSON.stringify(deviceId.slice(0, 80))} refused`,
    ...(attribute === undefined ? {} : { attribute: attribute.slice(0, 128) }),
  };
}

export function attributeLimitReject(deviceId: string, attribute: string, max: number): Reject {
  return {
    code: 'attribute-limit',
    reason: `device ${JSON.stringify(deviceId.slice(0, 80))} already has ${max} attributes (the limit per device); new attribute ${JSON.stringify(attribute.slice(0, 60))} refused`,
    attribute: attribute.slice(0, 128),
  };
}

/**
 * Which devices and attributes each site has, as far as this tracker has seen: admits a reading
 * or a device event, or says why not. Used by the parse node, which sees every message first.
 */
export class HouseLimits {
  readonly options: HouseLimitOptions;
  /** site → deviceId → attribute names. */
  private readonly sites = new Map<string, Map<string, Set<string>>>();

  constructor(options: Partial<HouseLimitOptions> = {}) {
    this.options = houseLimitOptions(options);
  }

  /** Devices known in a site. */
  devicesIn(site: string): number {
    return this.sites.get(site)?.size ?? 0;
  }

  /**
   * Admits (and remembers) a device and, when given, one of its attributes; or the reject saying
   * which limit it would cross. A refused reading leaves nothing behind.
   */
  admit(site: string, deviceId: string, attribute?: string): Reject | undefined {
    let devices = this.sites.get(site);
    let attrs = devices?.get(deviceId);
    if (attrs === undefined) {
      if (devices !== undefined && devices.size >= this.options.maxDevicesPerSite) return deviceLimitReject(site, deviceId, this.options.maxDevicesPerSite, attribute);
      if (devices === undefined) this.sites.set(site, (devices = new Map()));
      devices.set(deviceId, (attrs = new Set()));
    }
    if (attribute === undefined || attrs.has(attribute)) return undefined;
    if (attrs.size >= this.options.maxAttributesPerDevice) return attributeLimitReject(deviceId, attribute, this.options.maxAttributesPerDevice);
    attrs.add(attribute);
    return undefined;
  }

  /** Forgets a device (a deletion): its place in the site is free again. */
  forget(site: string, deviceId: string): void {
    const devices = this.sites.get(site);
    if (devices === undefined) return;
    devices.delete(deviceId);
    if (devices.size === 0) this.sites.delete(site);
  }
}

interface LimitedResult {
  readings: Array<{ site: string; deviceId: string; attribute: string }>;
  rejects: Reject[];
  availability?: Array<{ site: string; deviceId: string }>;
  devices?: Array<{ site: string; deviceId: string }>;
  deletions?: Array<{ site: string; deviceId: string; entity?: string }>;
}

/**
 * Applies the limits to what one message gave: readings and device events (availability, metadata)
 * that would cross a limit become rejects; a device deletion frees its place. Mutates and returns
 * `result`; returns how many were refused.
 */
export function applyHouseLimits<T extends LimitedResult>(result: T, limits: HouseLimits): number {
  let refused = 0;
  const readings = result.readings;
  let kept = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    const no = limits.admit(r.site, r.deviceId, r.attribute);
    if (no === undefined) readings[kept++] = r;
    else {
      result.rejects.push(no);
      refused++;
    }
  }
  readings.length = kept;
  for (const key of ['availability', 'devices'] as const) {
    const list = result[key];
    if (list === undefined) continue;
    const ok = list.filter((e) => {
      const no = limits.admit(e.site, e.deviceId);
      if (no !== undefined) result.rejects.push(no);
      return no === undefined;
    });
    refused += list.length - ok.length;
    if (ok.length === 0) delete result[key];
    else if (ok.length < list.length) result[key] = ok as T[typeof key];
  }
  for (const d of result.deletions ?? []) if (d.entity === undefined) limits.forget(d.site, d.deviceId);
  return refused;
}
