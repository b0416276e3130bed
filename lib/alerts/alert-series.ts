import type { ReadingValue } from '../model/reading';
import { formatMs } from '../registry/device-registry';
import type { Alert, PendingRecord } from './alert-types';
import type { CompiledRule, SeriesIdentity } from './rule-compile';
import type { TemplateField } from './rule-template';

/**
 * What the engine keeps per series (device attribute) and per rule selecting it, and the pure
 * questions asked of that state: does a level hold, does the clear condition hold, is it worth
 * storing, what a message template may say. No bookkeeping here (see alert-ledger.ts).
 */
export interface Series extends SeriesIdentity {
  kind: string | undefined;
  /** False for a series restored from storage until its device reports (its kind is unknown). */
  kindKnown: boolean;
  /** The rule-set version its states were matched against; -1 forces a match at the next reading. */
  version: number;
  states: RuleState[];
  lastSeen: number;
  value: ReadingValue | undefined;
  prev: ReadingValue | undefined;
  unit: string | undefined;
}

export interface RuleState {
  rule: CompiledRule;
  series: Series;
  since: number[];
  count: number[];
  clearSince: number;
  clearCount: number;
  alert: Alert | undefined;
  rate: RateWindow | undefined;
  lastRate: number;
  inPending: boolean;
  persisted: boolean;
  dropped: boolean;
}

/** Recent samples for rate-of-change rules, in typed arrays so a reading costs no allocation. */
export class RateWindow {
  private static readonly CAPACITY = 64;
  private readonly ts = new Float64Array(RateWindow.CAPACITY);
  private readonly v = new Float64Array(RateWindow.CAPACITY);
  private head = 0;
  private len = 0;

  /** Adds a sample and answers the change per minute from the oldest sample within the window (NaN: too few). */
  push(now: number, x: number, windowMs: number): number {
    const cap = RateWindow.CAPACITY;
    const tail = (this.head + this.len) % cap;
    this.ts[tail] = now;
    this.v[tail] = x;
    // When full, the oldest sample gives way: under a flood the window shortens rather than grows.
    if (this.len < cap) this.len++;
    else this.head = (this.head + 1) % cap;
    while (this.len > 1 && this.ts[this.head] < now - windowMs) {
      this.head = (this.head + 1) % cap;
      this.len--;
    }
    if (this.len < 2) return NaN;
    const dt = now - this.ts[this.head];
    return dt > 0 ? ((x - this.v[this.head]) / dt) * 60_000 : NaN;
  }
}

export function newRuleState(s: Series, rule: CompiledRule): RuleState {
  const n = rule.levels.length;
  return {
    rule,
    series: s,
    since: new Array<number>(n).fill(-1),
    count: new Array<number>(n).fill(0),
    clearSince: -1,
    clearCount: 0,
    alert: undefined,
    rate: undefined,
    lastRate: NaN,
    inPending: false,
    persisted: false,
    dropped: false,
  };
}

/** Readings the clear condition needs before an alert clears. */
export function clearReadingsNeeded(rule: CompiledRule): number {
  // A "changed" alert with a clear duration may clear in time alone, without a further reading.
  if (rule.condition === 'changed' && rule.clearForMs > 0) return rule.clearForReadings;
  return Math.max(1, rule.clearForReadings);
}

/** Whether level `level` of the rule holds for this reading. */
export function holds(rule: CompiledRule, level: number, raw: ReadingValue, x: number, prev: ReadingValue | undefined, rate: number): boolean {
  const l = rule.levels[level];
  switch (rule.condition) {
    case 'above':
      return x > l.threshold;
    case 'below':
      return x < l.threshold;
    case 'outside':
      return x < l.min || x > l.max;
    case 'inside':
      return x >= l.min && x <= l.max;
    case 'equals':
      return raw === rule.value;
    case 'changed':
      return prev !== undefined && raw !== prev;
    case 'rate':
      return rule.direction === 'rise' ? rate > l.threshold : rule.direction === 'fall' ? -rate > l.threshold : Math.abs(rate) > l.threshold;
    default:
      return false;
  }
}

/** The clear condition: the rule's own, with its hysteresis (clear thresholds or deadband). */
export function clears(rule: CompiledRule, raw: ReadingValue, x: number, rate: number): boolean {
  switch (rule.condition) {
    case 'above':
      return x <= rule.clearAt;
    case 'below':
      return x >= rule.clearAt;
    case 'outside':
      return x >= rule.clearMin && x <= rule.clearMax;
    case 'inside':
      return x < rule.clearMin || x > rule.clearMax;
    case 'equals':
      return raw !== rule.value;
    case 'rate':
      return rule.direction === 'rise' ? rate <= rule.clearAt : rule.direction === 'fall' ? -rate <= rule.clearAt : Math.abs(rate) <= rule.clearAt;
    default:
      return false;
  }
}

/** What a rule's message template may say about this state at `level`. */
export function templateFields(st: RuleState, level: number, now: number): Partial<Record<TemplateField, unknown>> {
  const s = st.series;
  const rule = st.rule;
  const l = rule.levels[level];
  return {
    site: s.site,
    room: s.room,
    device: s.device,
    deviceId: s.deviceId,
    attribute: s.attribute,
    value: s.value,
    previous: s.prev,
    unit: s.unit ?? '',
    threshold: l.threshold,
    min: l.min,
    max: l.max,
    rate: st.lastRate === st.lastRate ? st.lastRate : undefined,
    severity: l.severity,
    rule: rule.name,
    ruleId: rule.id,
    condition: rule.condition,
    forS: l.forMs / 1000,
    silence: formatMs(Math.max(0, now - s.lastSeen)),
  };
}

/** Whether a restart would need this state: an open alert, a duration part-way, a watch for silence. */
export function worthKeeping(st: RuleState): boolean {
  if (st.alert !== undefined || st.clearSince >= 0 || st.rule.noDataMs > 0 || st.rule.condition === 'changed') return true;
  for (let i = 0; i < st.since.length; i++) if (st.since[i] >= 0) return true;
  return false;
}

/** The stored form of a state (see PendingRecord). */
export function recordOf(st: RuleState): PendingRecord {
  const s = st.series;
  const rec: PendingRecord = {
    ruleId: st.rule.id,
    deviceId: s.deviceId,
    site: s.site,
    room: s.room,
    device: s.device,
    attribute: s.attribute,
    since: [...st.since],
    count: [...st.count],
    clearSince: st.clearSince,
    clearCount: st.clearCount,
    lastSeen: s.lastSeen,
  };
  if (s.value !== undefined) rec.value = s.value;
  if (s.unit !== undefined) rec.unit = s.unit;
  return rec;
}
