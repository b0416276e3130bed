import type { Reading, ReadingValue } from '../model/reading';
import { sameValue } from '../commands/command-tracker';
import type { Automation, CauseLink, Condition, Trigger } from './automation-types';
import { inTimeWindow, occurrences, type SiteClock } from './schedule-plan';

/**
 * Which automations an event triggers. Pure and indexed: a reading costs one map lookup however
 * many automations there are. Reading triggers with `above`/`below` fire when the value crosses
 * the limit (from at-or-below to above, from at-or-above to below); `equals` fires on every
 * reading with that value (a motion sensor repeating "true" renews what it started).
 */
export interface Match {
  automation: Automation;
  cause: CauseLink;
}

const HOUR_MS = 3_600_000;

export class AutomationEngine {
  private readonly byId = new Map<string, Automation>();
  private readonly byReading = new Map<string, Set<string>>();
  private readonly byDevice = new Map<string, Set<string>>();
  private readonly last = new Map<string, number>();
  private readonly runs = new Map<string, number[]>();

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Automation> {
    return this.byId.values();
  }

  get(id: string): Automation | undefined {
    return this.byId.get(id);
  }

  set(a: Automation): void {
    this.remove(a.id);
    this.byId.set(a.id, a);
    const t = a.trigger;
    if (t.type === 'reading') add(this.byReading, `${t.deviceId}\u0000${t.attribute}`, a.id);
    if (t.type === 'offline') add(this.byDevice, t.deviceId, a.id);
  }

  remove(id: string): void {
    const a = this.byId.get(id);
    if (!a) return;
    this.byId.delete(id);
    this.last.delete(id);
    const t = a.trigger;
    if (t.type === 'reading') drop(this.byReading, `${t.deviceId}\u0000${t.attribute}`, id);
    if (t.type === 'offline') drop(this.byDevice, t.deviceId, id);
  }

  onReading(r: Reading): Match[] {
    const ids = this.byReading.get(`${r.deviceId}\u0000${r.attribute}`);
    if (!ids) return [];
    const out: Match[] = [];
    for (const id of ids) {
      const a = this.byId.get(id)!;
      const t = a.trigger as Extract<Trigger, { type: 'reading' }>;
      if (a.enabled && this.crosses(id, t, r.value)) out.push({ automation: a, cause: { kind: 'reading', deviceId: r.deviceId, attribute: r.attribute, value: r.value, at: r.ts } });
    }
    return out;
  }

  private crosses(id: string, t: Extract<Trigger, { type: 'reading' }>, value: ReadingValue): boolean {
    if (t.equals !== undefined) return looselyEqual(t.equals, value);
    const n = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : Number(value);
    if (!Number.isFinite(n)) return false;
    const prev = this.last.get(id);
    this.last.set(id, n);
    const up = t.above !== undefined && n > t.above && (prev === undefined || prev <= t.above);
    const down = t.below !== undefined && n < t.below && (prev === undefined || prev >= t.below);
    return up || down;
  }

  onDeviceOffline(deviceId: string, at: number): Match[] {
    const ids = this.byDevice.get(deviceId);
    if (!ids) return [];
    return [...ids].map((id) => this.byId.get(id)!).filter((a) => a.enabled).map((automation) => ({ automation, cause: { kind: 'device', deviceId, state: 'offline', at } }));
  }

  onAlert(alert: { id: string; site: string; deviceId: string; severity: string; message: string }, at: number): Match[] {
    const out: Match[] = [];
    for (const a of this.byId.values()) {
      const t = a.trigger;
      if (!a.enabled || t.type !== 'alert' || a.site !== alert.site) continue;
      if (t.deviceId !== undefined && t.deviceId !== alert.deviceId) continue;
      if (t.severity !== undefined && t.severity !== alert.severity) continue;
      out.push({ automation: a, cause: { kind: 'alert', id: alert.id, message: alert.message, at } });
    }
    return out;
  }

  onSceneApplied(scene: { id: string; name: string; site: string }): Match[] {
    const out: Match[] = [];
    for (const a of this.byId.values()) {
      if (a.enabled && a.trigger.type === 'scene' && a.trigger.sceneId === scene.id) out.push({ automation: a, cause: { kind: 'scene', id: scene.id, name: scene.name } });
    }
    return out;
  }

  /** Time triggers that fell in (from, to], in each automation's site zone. */
  onTime(from: number, to: number, clockOf: (site: string) => SiteClock): Match[] {
    const out: Match[] = [];
    for (const a of this.byId.values()) {
      const t = a.trigger;
      if (!a.enabled || t.type !== 'time') continue;
      for (const o of occurrences([{ kind: 'weekly', days: t.days, time: t.time }], clockOf(a.site), from, to)) out.push({ automation: a, cause: { kind: 'time', at: o.at } });
    }
    return out;
  }

  /** Counts a run against the automation's hourly limit; false when the limit is reached. */
  allow(a: Automation, now: number): boolean {
    const list = (this.runs.get(a.id) ?? []).filter((t) => t > now - HOUR_MS);
    if (list.length >= a.maxRunsPerHour) {
      this.runs.set(a.id, list);
      return false;
    }
    list.push(now);
    this.runs.set(a.id, list);
    return true;
  }
}

/** What conditions need to know about the house. */
export interface ConditionFacts {
  now: number;
  clock: SiteClock;
  value(deviceId: string, attribute: string): ReadingValue | undefined;
  /** People's OwnTracks devices of the site (when a condition names none). */
  trackers(): string[];
}

/** Why the conditions do not hold, or undefined when they all do. */
export function conditionsFail(conditions: readonly Condition[], facts: ConditionFacts): string | undefined {
  for (const c of conditions) {
    if (c.type === 'time') {
      if (!inTimeWindow(facts.now, facts.clock.timeZone, c.from, c.to)) return `outside ${c.from}–${c.to}`;
    } else if (c.type === 'state') {
      const v = facts.value(c.deviceId, c.attribute);
      if (v === undefined) return `${c.deviceId} has not reported ${c.attribute}`;
      if (!valueMatches(c, v)) return `${c.deviceId} ${c.attribute} is ${String(v)}`;
    } else if (!someoneHome(c, facts)) {
      return 'nobody is home';
    }
  }
  return undefined;
}

function valueMatches(c: { above?: number; below?: number; equals?: ReadingValue }, v: ReadingValue): boolean {
  if (c.equals !== undefined && !looselyEqual(c.equals, v)) return false;
  const n = Number(v);
  if (c.above !== undefined && !(n > c.above)) return false;
  if (c.below !== undefined && !(n < c.below)) return false;
  return true;
}

/**
 * Someone is home when one of the people's OwnTracks devices last entered the region (its
 * `transition` reading says `enter:<region>`), or, without transitions, its last fix (`lat`,
 * `lon`) lies within `radiusM` of the site's location.
 */
function someoneHome(c: Extract<Condition, { type: 'home' }>, facts: ConditionFacts): boolean {
  const region = (c.region ?? 'home').toLowerCase();
  const radius = c.radiusM ?? 150;
  for (const id of c.deviceIds ?? facts.trackers()) {
    const transition = facts.value(id, 'transition');
    if (typeof transition === 'string') {
      const [event, name] = transition.toLowerCase().split(':', 2);
      if (name === region) {
        if (event === 'enter') return true;
        continue;
      }
    }
    const lat = Number(facts.value(id, 'lat'));
    const lon = Number(facts.value(id, 'lon'));
    if (facts.clock.latitude !== null && facts.clock.longitude !== null && Number.isFinite(lat) && Number.isFinite(lon)) {
      if (distanceM(lat, lon, facts.clock.latitude, facts.clock.longitude) <= radius) return true;
    }
  }
  return false;
}

/** Great-circle distance in metres. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = (d: number) => (d * Math.PI) / 180;
  const a = Math.sin(r(lat2 - lat1) / 2) ** 2 + Math.cos(r(lat1)) * Math.cos(r(lat2)) * Math.sin(r(lon2 - lon1) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}

/** "on", true and 1 are the same switch state, whichever side says which (lib/commands/command-tracker.ts). */
function looselyEqual(a: ReadingValue, b: ReadingValue): boolean {
  return sameValue(a, b) || sameValue(b, a);
}

function add(m: Map<string, Set<string>>, k: string, id: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(id);
}

function drop(m: Map<string, Set<string>>, k: string, id: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) m.delete(k);
}
