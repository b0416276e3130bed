import { randomUUID } from 'node:crypto';
import type { Reading, ReadingValue } from '../model/reading';
import { formatMs } from '../registry/device-registry';
import {
  compileRules,
  renderTemplate,
  RuleIndex,
  ruleMatches,
  severityRank,
  type AlertRule,
  type CompiledRule,
  type ConditionKind,
  type SeriesIdentity,
  type Severity,
  type TemplateField,
} from './rules';

/**
 * The alert state machine. One alert at a time per (rule, device, attribute): raised once the
 * rule's condition has held long enough, escalated when a stricter level holds, acknowledged by
 * someone, cleared when the clear condition (hysteresis) has held long enough or by hand. Only
 * transitions come out, never one event per reading.
 *
 * Pure and deterministic: time is passed in, nothing here reads the clock or does I/O. The node
 * (through AlertService) persists what `takeDirty()` hands it and feeds `restore()` at start.
 */
export type AlertState = 'active' | 'acknowledged' | 'cleared';
export type AlertCause = 'condition' | 'no-data';
export type TransitionType = 'raised' | 'escalated' | 'acknowledged' | 'cleared' | 'repeated';

export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  condition: ConditionKind;
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
  severity: Severity;
  state: AlertState;
  cause: AlertCause;
  message: string;
  /** The latest value seen while the alert was open (null: none, e.g. a no-data alert of a restored series). */
  value: ReadingValue | null;
  unit?: string;
  /** The limit of the level that raised (or escalated) it, for above / below / rate. */
  threshold?: number;
  /** The range, for outside / inside. */
  min?: number;
  max?: number;
  raisedAt: number;
  /** The last change of state or severity. */
  updatedAt: number;
  /** The last time it went out as raised, escalated or repeated. */
  notifiedAt: number;
  repeats: number;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  acknowledgeNote?: string;
  clearedAt?: number;
  clearedBy?: string;
  clearReason?: string;
}

export interface AlertTransition {
  type: TransitionType;
  at: number;
  /** A copy of the alert as it is after the transition. */
  alert: Alert;
  previousSeverity?: Severity;
  /** Who acknowledged or cleared it (`auto` for an automatic clear), and their note or the reason. */
  by?: string;
  note?: string;
}

/** A rule's pending-duration state for one series: what a restart must not forget. */
export interface PendingRecord {
  ruleId: string;
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
  /** Per level: when its condition started holding (-1: not holding), and consecutive readings. */
  since: number[];
  count: number[];
  clearSince: number;
  clearCount: number;
  value?: ReadingValue;
  unit?: string;
  lastSeen: number;
}

export interface PendingKey {
  ruleId: string;
  deviceId: string;
  attribute: string;
}

export interface EngineSnapshot {
  /** Open alerts (active or acknowledged). */
  alerts: Alert[];
  pending: PendingRecord[];
}

/** What persistence must write since the last call: alert rows, transition log, pending state. */
export interface DirtyState {
  alerts: Alert[];
  events: AlertTransition[];
  pending: PendingRecord[];
  removedPending: PendingKey[];
}

export interface QuietHours {
  /** Minutes after midnight, local to the engine's time zone; may wrap past midnight. */
  startMin: number;
  endMin: number;
}

export interface AlertEngineOptions {
  /** Re-emit an unacknowledged alert this often (ms); 0 or absent: never. Rules may override. */
  repeatMs?: number;
  /** Non-critical repeats falling in these hours are held until they end. */
  quietHours?: QuietHours;
  /** IANA zone for quiet hours (e.g. `Europe/Madrid`); absent: the process's local time. */
  timeZone?: string;
  newId?: () => string;
}

export type ActionResult = { ok: true; alert: Alert; transitions: AlertTransition[] } | { ok: false; status: 404 | 409; error: string };

interface Series extends SeriesIdentity {
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

interface RuleState {
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
class RateWindow {
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

const NO_TRANSITIONS: readonly AlertTransition[] = Object.freeze([]);
const RECENT_CLEARED = 1000;

function push(out: AlertTransition[] | undefined, t: AlertTransition): AlertTransition[] {
  if (!out) return [t];
  out.push(t);
  return out;
}

export class AlertEngine {
  private compiled: CompiledRule[] = [];
  private byId = new Map<string, CompiledRule>();
  private index = new RuleIndex([]);
  private version = 0;
  private readonly series = new Map<string, Map<string, Series>>();
  /** Open alerts by id, with the state that owns each. */
  private readonly open = new Map<string, RuleState>();
  /** Alerts cleared lately, so acknowledging one answers 409 rather than 404. */
  private readonly recentlyCleared = new Map<string, number>();
  /** States whose durations are measured in time and that are part-way: the tick looks at them. */
  private readonly pending = new Set<RuleState>();
  /** States of rules with a no-data limit. */
  private readonly watched = new Set<RuleState>();
  private dirtyAlerts = new Set<Alert>();
  private events: AlertTransition[] = [];
  private dirtyPending = new Set<RuleState>();
  private removedPending = new Map<string, PendingKey>();
  private readonly scratch: CompiledRule[] = [];
  private readonly newId: () => string;
  private quietFormatter: Intl.DateTimeFormat | undefined;
  repeatMs: number;
  quietHours: QuietHours | undefined;

  constructor(rules: readonly AlertRule[] = [], options: AlertEngineOptions = {}) {
    this.newId = options.newId ?? randomUUID;
    this.repeatMs = options.repeatMs ?? 0;
    this.quietHours = options.quietHours;
    if (options.timeZone) {
      this.quietFormatter = new Intl.DateTimeFormat('en-GB', { timeZone: options.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    }
    this.setRules(rules, 0);
  }

  /** Some rule selects by device kind: the caller should pass it to observe(). */
  get usesKind(): boolean {
    return this.index.usesKind;
  }

  get ruleCount(): number {
    return this.compiled.length;
  }

  get rules(): AlertRule[] {
    return this.compiled.map((r) => r.rule);
  }

  /**
   * Replaces the rules (validated with checkRules first). Pending state and open alerts of rules
   * whose id stays are kept; alerts of rules that went (or no longer select their series) are
   * cleared, and those transitions are returned.
   */
  setRules(rules: readonly AlertRule[], now: number): AlertTransition[] {
    this.compiled = compileRules(rules);
    this.byId = new Map(this.compiled.map((r) => [r.id, r]));
    this.index = new RuleIndex(this.compiled);
    this.version++;
    const out: AlertTransition[] = [];
    for (const m of this.series.values()) for (const s of m.values()) this.attach(s, s.kind, now, out);
    return out;
  }

  /**
   * The hot path: one reading at `now`. Returns the transitions it caused, usually none, and then
   * without allocating. `deviceKind` is the registry's `meta.kind` (needed only when usesKind).
   */
  observe(r: Reading, now: number, deviceKind?: string): readonly AlertTransition[] {
    if (this.compiled.length === 0) return NO_TRANSITIONS;
    let out: AlertTransition[] | undefined;
    let s = this.series.get(r.deviceId)?.get(r.attribute);
    if (s === undefined) {
      s = this.newSeries(r, deviceKind, true);
      this.attach(s, deviceKind, now, []);
    } else if (s.version !== this.version || (this.index.usesKind && (s.kind !== deviceKind || !s.kindKnown))) {
      const dropped: AlertTransition[] = [];
      s.kindKnown = true;
      this.attach(s, deviceKind, now, dropped);
      if (dropped.length > 0) out = dropped;
    }
    const raw = r.value;
    const prev = s.value;
    s.prev = prev;
    s.value = raw;
    s.unit = r.unit;
    s.lastSeen = now;
    const states = s.states;
    if (states.length === 0) return out ?? NO_TRANSITIONS;
    const x = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : NaN;
    for (let i = 0; i < states.length; i++) {
      const st = states[i];
      const a = st.alert;
      if (a !== undefined) {
        if (a.cause === 'no-data') out = push(out, this.finish(st, now, 'auto', 'data resumed'));
        else if (a.value !== raw) {
          a.value = raw;
          this.dirtyAlerts.add(a);
        }
      }
      const c = st.rule.condition;
      if (c === 'nodata') continue;
      if (c === 'changed') {
        if (prev !== raw) this.dirtyPending.add(st);
      } else if (c !== 'equals' && x !== x) {
        continue; // text reading for a numeric rule
      }
      if (c === 'rate') {
        st.lastRate = (st.rate ??= new RateWindow()).push(now, x, st.rule.windowMs);
        if (st.lastRate !== st.lastRate) continue;
      }
      this.update(st, raw, x, prev, now);
      out = this.decide(st, now, out);
    }
    return out ?? NO_TRANSITIONS;
  }

  /**
   * Time passing: durations measured in seconds complete, silent series raise no-data, and
   * unacknowledged alerts repeat (non-critical ones held during quiet hours).
   */
  tick(now: number): AlertTransition[] {
    let out: AlertTransition[] = [];
    for (const st of this.pending) out = this.decide(st, now, out) ?? out;
    for (const st of this.watched) {
      if (st.alert === undefined && now - st.series.lastSeen >= st.rule.noDataMs) out.push(this.raise(st, 0, now, 'no-data'));
    }
    let quiet: boolean | undefined;
    for (const st of this.open.values()) {
      const a = st.alert;
      if (!a || a.state !== 'active') continue;
      const every = st.rule.repeatMs ?? this.repeatMs;
      if (!(every > 0) || now - a.notifiedAt < every) continue;
      if (a.severity !== 'critical' && (quiet ??= this.isQuiet(now))) continue; // held, goes out when quiet hours end
      a.notifiedAt = now;
      a.repeats++;
      out.push(this.record({ type: 'repeated', at: now, alert: { ...a } }, a));
    }
    return out;
  }

  acknowledge(alertId: string, by: string, note: string | undefined, now: number): ActionResult {
    const st = this.open.get(alertId);
    if (!st || !st.alert) return this.notOpen(alertId);
    const a = st.alert;
    if (a.state === 'acknowledged') {
      return { ok: false, status: 409, error: `alert ${alertId} is already acknowledged by ${a.acknowledgedBy ?? 'someone'}` };
    }
    a.state = 'acknowledged';
    a.acknowledgedBy = by;
    a.acknowledgedAt = now;
    a.acknowledgeNote = note;
    a.updatedAt = now;
    const t = this.record({ type: 'acknowledged', at: now, alert: { ...a }, by, note }, a);
    return { ok: true, alert: { ...a }, transitions: [t] };
  }

  /**
   * Clears an open alert by hand. If the condition still holds, a new alert needs the full
   * duration again: clearing says "dealt with", not "never again".
   */
  clear(alertId: string, by: string, now: number, note?: string): ActionResult {
    const st = this.open.get(alertId);
    if (!st || !st.alert) return this.notOpen(alertId);
    const t = this.finish(st, now, by, note ?? 'cleared by hand');
    return { ok: true, alert: { ...t.alert }, transitions: [t] };
  }

  get(alertId: string): Alert | undefined {
    const a = this.open.get(alertId)?.alert;
    return a && { ...a };
  }

  /** Open alerts (active and acknowledged), copies. */
  openAlerts(): Alert[] {
    const out: Alert[] = [];
    for (const st of this.open.values()) if (st.alert) out.push({ ...st.alert });
    return out;
  }

  /** Open alerts by severity, and how many are acknowledged. */
  counts(): { info: number; warning: number; critical: number; acknowledged: number } {
    const c = { info: 0, warning: 0, critical: 0, acknowledged: 0 };
    for (const st of this.open.values()) {
      if (!st.alert) continue;
      c[st.alert.severity]++;
      if (st.alert.state === 'acknowledged') c.acknowledged++;
    }
    return c;
  }

  /** Everything a restart needs: open alerts and every pending state worth keeping. */
  snapshot(): EngineSnapshot {
    const pending: PendingRecord[] = [];
    for (const m of this.series.values()) for (const s of m.values()) for (const st of s.states) if (this.worthKeeping(st)) pending.push(this.recordOf(st));
    return { alerts: this.openAlerts(), pending };
  }

  /**
   * Loads a snapshot (after a restart), before any reading. Open alerts come back as they were,
   * without a new raise; pending durations go on from where they were. Silence is counted from
   * `now` for series that reported before the restart: readings sent while Octopus was down were
   * never seen, so that gap proves nothing. Returns the clears of alerts whose rule is gone.
   */
  restore(snapshot: EngineSnapshot, now: number): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (const rec of snapshot.pending) {
      const rule = this.byId.get(rec.ruleId);
      if (!rule) {
        this.removedPending.set(keyOf(rec.ruleId, rec.deviceId, rec.attribute), { ruleId: rec.ruleId, deviceId: rec.deviceId, attribute: rec.attribute });
        continue;
      }
      const s = this.restoredSeries(rec, now);
      if (rec.value !== undefined && s.value === undefined) {
        s.value = rec.value;
        s.unit = rec.unit;
      }
      const st = this.stateFor(s, rule);
      if (rec.since.length === st.since.length) {
        for (let i = 0; i < rec.since.length; i++) {
          st.since[i] = rec.since[i];
          st.count[i] = rec.count[i];
        }
      }
      st.clearSince = rec.clearSince;
      st.clearCount = rec.clearCount;
      st.persisted = true;
      this.trackPending(st);
    }
    for (const stored of snapshot.alerts) {
      const rule = this.byId.get(stored.ruleId);
      if (!rule) {
        const a: Alert = { ...stored, state: 'cleared', clearedAt: now, clearedBy: 'auto', clearReason: 'rule removed', updatedAt: now };
        this.rememberCleared(a.id, now);
        out.push(this.record({ type: 'cleared', at: now, alert: { ...a }, by: 'auto', note: 'rule removed' }, a));
        continue;
      }
      const s = this.restoredSeries({ ...stored, lastSeen: stored.raisedAt }, now);
      if (s.value === undefined && stored.value !== null) {
        s.value = stored.value;
        s.unit = stored.unit;
      }
      const st = this.stateFor(s, rule);
      if (st.alert) continue; // one per (rule, device, attribute): the first restored stays
      const a: Alert = { ...stored };
      st.alert = a;
      this.open.set(a.id, st);
      if (rule.condition === 'changed' && st.clearSince < 0) st.clearSince = now;
      this.trackPending(st);
    }
    return out;
  }

  /** What changed since the last call, for batched persistence. Removals must be applied before upserts. */
  takeDirty(): DirtyState {
    const alerts: Alert[] = [];
    for (const a of this.dirtyAlerts) alerts.push({ ...a });
    this.dirtyAlerts.clear();
    const events = this.events;
    this.events = [];
    const removedPending = [...this.removedPending.values()];
    this.removedPending.clear();
    const pending: PendingRecord[] = [];
    for (const st of this.dirtyPending) {
      if (st.dropped) continue;
      if (this.worthKeeping(st)) {
        pending.push(this.recordOf(st));
        st.persisted = true;
      } else if (st.persisted) {
        removedPending.push({ ruleId: st.rule.id, deviceId: st.series.deviceId, attribute: st.series.attribute });
        st.persisted = false;
      }
    }
    this.dirtyPending.clear();
    return { alerts, events, pending, removedPending };
  }

  /** Whether `now` falls in quiet hours. */
  isQuiet(now: number): boolean {
    const q = this.quietHours;
    if (!q) return false;
    const m = this.minuteOfDay(now);
    return q.startMin <= q.endMin ? m >= q.startMin && m < q.endMin : m >= q.startMin || m < q.endMin;
  }

  private minuteOfDay(now: number): number {
    if (this.quietFormatter) {
      let h = 0;
      let min = 0;
      for (const p of this.quietFormatter.formatToParts(now)) {
        if (p.type === 'hour') h = Number(p.value);
        else if (p.type === 'minute') min = Number(p.value);
      }
      return h * 60 + min;
    }
    const d = new Date(now);
    return d.getHours() * 60 + d.getMinutes();
  }

  // -------------------------------------------------------------------------------------------

  private newSeries(id: SeriesIdentity, kind: string | undefined, kindKnown: boolean): Series {
    const s: Series = {
      deviceId: id.deviceId,
      site: id.site,
      room: id.room,
      device: id.device,
      attribute: id.attribute,
      kind,
      kindKnown,
      version: -1,
      states: [],
      lastSeen: 0,
      value: undefined,
      prev: undefined,
      unit: undefined,
    };
    let m = this.series.get(id.deviceId);
    if (!m) this.series.set(id.deviceId, (m = new Map()));
    m.set(id.attribute, s);
    return s;
  }

  private restoredSeries(id: SeriesIdentity & { lastSeen: number }, now: number): Series {
    let s = this.series.get(id.deviceId)?.get(id.attribute);
    if (!s) {
      s = this.newSeries(id, undefined, false);
      s.lastSeen = Math.max(id.lastSeen, now);
    }
    return s;
  }

  /** The state of `rule` in series `s`, created (and attached) when missing. */
  private stateFor(s: Series, rule: CompiledRule): RuleState {
    for (const st of s.states) if (st.rule === rule) return st;
    const st = this.newState(s, rule);
    s.states.push(st);
    return st;
  }

  private newState(s: Series, rule: CompiledRule): RuleState {
    const n = rule.levels.length;
    const st: RuleState = {
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
    if (rule.noDataMs > 0) {
      this.watched.add(st);
      this.dirtyPending.add(st);
    }
    return st;
  }

  /**
   * Matches a series against the current rules, keeping the states of rules still selecting it.
   * States dropped lose their alert (cleared, appended to `out`) and their stored pending row.
   */
  private attach(s: Series, kind: string | undefined, now: number, out: AlertTransition[]): void {
    const scratch = this.scratch;
    scratch.length = 0;
    this.index.candidates(s, kind, scratch);
    if (!s.kindKnown) {
      // Restored before its device reported: keep kind-selected states until the kind is known.
      for (const st of s.states) {
        const rule = this.byId.get(st.rule.id);
        if (rule && rule.kind !== undefined && !scratch.includes(rule) && ruleMatches(rule, s, undefined, true)) scratch.push(rule);
      }
    }
    const old = s.states;
    const states: RuleState[] = [];
    for (const rule of scratch) {
      let st: RuleState | undefined;
      for (const o of old) {
        if (o.rule.id === rule.id) {
          st = o;
          break;
        }
      }
      if (st) {
        if (st.rule !== rule) this.rebind(st, rule);
      } else st = this.newState(s, rule);
      states.push(st);
    }
    for (const o of old) {
      if (states.includes(o)) continue;
      if (o.alert) out.push(this.finish(o, now, 'auto', this.byId.has(o.rule.id) ? 'rule no longer selects this device' : 'rule removed'));
      this.drop(o);
    }
    s.states = states;
    s.kind = kind;
    s.version = this.version;
  }

  /** A rule kept its id but may have changed: the state follows the new definition. */
  private rebind(st: RuleState, rule: CompiledRule): void {
    const changed = st.rule.signature !== rule.signature;
    if (st.rule.noDataMs > 0 && rule.noDataMs === 0) this.watched.delete(st);
    if (rule.noDataMs > 0) this.watched.add(st);
    st.rule = rule;
    if (changed) {
      // Limits changed: what was pending under the old ones proves nothing under the new.
      st.since = new Array<number>(rule.levels.length).fill(-1);
      st.count = new Array<number>(rule.levels.length).fill(0);
      st.clearSince = -1;
      st.clearCount = 0;
      st.rate = undefined;
      this.trackPending(st);
      this.dirtyPending.add(st);
    }
  }

  private drop(st: RuleState): void {
    st.dropped = true;
    this.pending.delete(st);
    this.watched.delete(st);
    this.dirtyPending.delete(st);
    if (st.persisted) {
      this.removedPending.set(keyOf(st.rule.id, st.series.deviceId, st.series.attribute), { ruleId: st.rule.id, deviceId: st.series.deviceId, attribute: st.series.attribute });
    }
  }

  /** Updates how long each level (and the clear condition) has held, from one reading. */
  private update(st: RuleState, raw: ReadingValue, x: number, prev: ReadingValue | undefined, now: number): void {
    const rule = st.rule;
    const levels = rule.levels;
    let changed = false;
    for (let i = 0; i < levels.length; i++) {
      if (this.holds(rule, i, raw, x, prev, st.lastRate)) {
        if (st.since[i] < 0) {
          st.since[i] = now;
          st.count[i] = 1;
          changed = true;
        } else if (st.count[i] < levels[i].forReadings) {
          st.count[i]++;
          changed = true;
        }
      } else if (st.since[i] >= 0) {
        st.since[i] = -1;
        st.count[i] = 0;
        changed = true;
      }
    }
    if (st.alert !== undefined && st.alert.cause === 'condition') {
      const need = this.clearReadingsNeeded(rule);
      if (rule.condition === 'changed') {
        // "Unchanged" starts again at every change; the alert clears once it has lasted.
        if (prev !== raw) {
          st.clearSince = now;
          st.clearCount = 0;
          changed = true;
        } else if (st.clearCount < need) {
          if (st.clearSince < 0) st.clearSince = now;
          st.clearCount++;
          changed = true;
        }
      } else if (this.clears(rule, raw, x, st.lastRate)) {
        if (st.clearSince < 0) {
          st.clearSince = now;
          st.clearCount = 1;
          changed = true;
        } else if (st.clearCount < need) {
          st.clearCount++;
          changed = true;
        }
      } else if (st.clearSince >= 0) {
        st.clearSince = -1;
        st.clearCount = 0;
        changed = true;
      }
    }
    if (changed) {
      this.dirtyPending.add(st);
      this.trackPending(st);
    }
  }

  private clearReadingsNeeded(rule: CompiledRule): number {
    // A "changed" alert with a clear duration may clear in time alone, without a further reading.
    if (rule.condition === 'changed' && rule.clearForMs > 0) return rule.clearForReadings;
    return Math.max(1, rule.clearForReadings);
  }

  private trackPending(st: RuleState): void {
    if (!st.rule.timed) return;
    let p = st.clearSince >= 0;
    for (let i = 0; !p && i < st.since.length; i++) p = st.since[i] >= 0;
    if (p === st.inPending) return;
    st.inPending = p;
    if (p) this.pending.add(st);
    else this.pending.delete(st);
  }

  private holds(rule: CompiledRule, level: number, raw: ReadingValue, x: number, prev: ReadingValue | undefined, rate: number): boolean {
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
  private clears(rule: CompiledRule, raw: ReadingValue, x: number, rate: number): boolean {
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

  /** Raises, escalates or clears once the durations (readings and time) are met. */
  private decide(st: RuleState, now: number, out: AlertTransition[] | undefined): AlertTransition[] | undefined {
    const a = st.alert;
    if (a !== undefined && a.cause === 'no-data') return out;
    const rule = st.rule;
    const levels = rule.levels;
    let reached = -1;
    for (let i = 0; i < levels.length; i++) {
      const since = st.since[i];
      const l = levels[i];
      if (since >= 0 && st.count[i] >= l.forReadings && now - since >= l.forMs && (reached < 0 || l.rank > levels[reached].rank)) reached = i;
    }
    if (a === undefined) {
      if (reached >= 0) out = push(out, this.raise(st, reached, now, 'condition'));
      return out;
    }
    if (st.clearSince >= 0 && st.clearCount >= this.clearReadingsNeeded(rule) && now - st.clearSince >= rule.clearForMs) {
      return push(out, this.finish(st, now, 'auto', 'condition cleared'));
    }
    if (reached >= 0 && levels[reached].rank > severityRank(a.severity)) out = push(out, this.escalate(st, reached, now));
    return out;
  }

  private raise(st: RuleState, level: number, now: number, cause: AlertCause): AlertTransition {
    const rule = st.rule;
    const s = st.series;
    const l = rule.levels[level];
    const a: Alert = {
      id: this.newId(),
      ruleId: rule.id,
      ruleName: rule.name,
      condition: rule.condition,
      deviceId: s.deviceId,
      site: s.site,
      room: s.room,
      device: s.device,
      attribute: s.attribute,
      severity: l.severity,
      state: 'active',
      cause,
      message: renderTemplate(cause === 'no-data' ? rule.noDataMessage : rule.message, this.fields(st, level, now)),
      value: s.value ?? null,
      raisedAt: now,
      updatedAt: now,
      notifiedAt: now,
      repeats: 0,
    };
    if (s.unit !== undefined) a.unit = s.unit;
    this.setLimits(a, rule, level);
    st.alert = a;
    st.clearSince = rule.condition === 'changed' ? now : -1;
    st.clearCount = 0;
    this.open.set(a.id, st);
    this.dirtyPending.add(st);
    this.trackPending(st);
    return this.record({ type: 'raised', at: now, alert: { ...a } }, a);
  }

  private escalate(st: RuleState, level: number, now: number): AlertTransition {
    const a = st.alert as Alert;
    const l = st.rule.levels[level];
    const previousSeverity = a.severity;
    a.severity = l.severity;
    a.message = renderTemplate(st.rule.message, this.fields(st, level, now));
    this.setLimits(a, st.rule, level);
    a.updatedAt = now;
    a.notifiedAt = now;
    if (a.state === 'acknowledged') {
      // What was acknowledged was the milder alert: the worse one needs someone's attention again.
      a.state = 'active';
      delete a.acknowledgedBy;
      delete a.acknowledgedAt;
      delete a.acknowledgeNote;
    }
    return this.record({ type: 'escalated', at: now, alert: { ...a }, previousSeverity }, a);
  }

  private setLimits(a: Alert, rule: CompiledRule, level: number): void {
    const l = rule.levels[level];
    if (rule.condition === 'above' || rule.condition === 'below' || rule.condition === 'rate') a.threshold = l.threshold;
    else if (rule.condition === 'outside' || rule.condition === 'inside') {
      a.min = l.min;
      a.max = l.max;
    }
  }

  /** Closes the state's alert (automatically or by hand); pending durations start afresh. */
  private finish(st: RuleState, now: number, by: string, reason: string): AlertTransition {
    const a = st.alert as Alert;
    a.state = 'cleared';
    a.clearedAt = now;
    a.clearedBy = by;
    a.clearReason = reason;
    a.updatedAt = now;
    this.open.delete(a.id);
    this.rememberCleared(a.id, now);
    st.alert = undefined;
    st.since.fill(-1);
    st.count.fill(0);
    st.clearSince = -1;
    st.clearCount = 0;
    this.dirtyPending.add(st);
    this.trackPending(st);
    return this.record({ type: 'cleared', at: now, alert: { ...a }, by, note: reason }, a);
  }

  private record(t: AlertTransition, a: Alert): AlertTransition {
    this.dirtyAlerts.add(a);
    this.events.push(t);
    return t;
  }

  private rememberCleared(id: string, now: number): void {
    this.recentlyCleared.set(id, now);
    if (this.recentlyCleared.size > RECENT_CLEARED) {
      const oldest = this.recentlyCleared.keys().next().value;
      if (oldest !== undefined) this.recentlyCleared.delete(oldest);
    }
  }

  private notOpen(alertId: string): ActionResult {
    if (this.recentlyCleared.has(alertId)) return { ok: false, status: 409, error: `alert ${alertId} is already cleared` };
    return { ok: false, status: 404, error: `no open alert ${alertId}` };
  }

  private fields(st: RuleState, level: number, now: number): Partial<Record<TemplateField, unknown>> {
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

  private worthKeeping(st: RuleState): boolean {
    if (st.alert !== undefined || st.clearSince >= 0 || st.rule.noDataMs > 0 || st.rule.condition === 'changed') return true;
    for (let i = 0; i < st.since.length; i++) if (st.since[i] >= 0) return true;
    return false;
  }

  private recordOf(st: RuleState): PendingRecord {
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
}

function keyOf(ruleId: string, deviceId: string, attribute: string): string {
  return `${ruleId}\u0000${deviceId}\u0000${attribute}`;
}

/** Parses quiet hours like `22:00-07:00` (may wrap midnight); empty text means none. */
export function parseQuietHours(text: string | undefined): { ok: true; value: QuietHours | undefined } | { ok: false; error: string } {
  const t = (text ?? '').trim();
  if (t === '') return { ok: true, value: undefined };
  const m = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(t);
  if (!m) return { ok: false, error: `quiet hours "${t}" must look like 22:00-07:00` };
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return { ok: false, error: `quiet hours "${t}": hours go to 23 and minutes to 59` };
  const startMin = h1 * 60 + m1;
  const endMin = h2 * 60 + m2;
  if (startMin === endMin) return { ok: false, error: `quiet hours "${t}" start and end at the same time` };
  return { ok: true, value: { startMin, endMin } };
}
