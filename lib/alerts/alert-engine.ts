import { randomUUID } from 'node:crypto';
import type { Reading } from '../model/reading';
import { newRuleState, RateWindow, recordOf, worthKeeping, type RuleState, type Series } from './alert-series';
import { AlertLedger } from './alert-ledger';
import { decide, finish, NO_TRANSITIONS, push, raise, update } from './alert-transitions';
import type { ActionResult, Alert, AlertEngineOptions, AlertTransition, DirtyState, EngineSnapshot, PendingRecord } from './alert-types';
import { LocalClock, type QuietHours } from './quiet-hours';
import { compileRules, ruleMatches, type CompiledRule, type SeriesIdentity } from './rule-compile';
import { RuleIndex } from './rule-index';
import type { AlertRule } from './rule-schema';

export type * from './alert-types';
export { parseQuietHours, type QuietHours } from './quiet-hours';


/**
 * The alert state machine. One alert at a time per (rule, device, attribute): raised once the
 * rule's condition has held long enough, escalated when a stricter level holds, acknowledged by
 * someone, cleared when the clear condition (hysteresis) has held long enough or by hand. Only
 * transitions come out, never one event per reading.
 *
 * Pure and deterministic: time is passed in, nothing here reads the clock or does I/O. The node
 * (through AlertService) persists what `takeDirty()` hands it and feeds `restore()` at start.
 */
export class AlertEngine {
  private compiled: CompiledRule[] = [];
  private byId = new Map<string, CompiledRule>();
  private index = new RuleIndex([]);
  private version = 0;
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly ledger: AlertLedger;
  private readonly scratch: CompiledRule[] = [];
  private readonly clock: LocalClock;
  repeatMs: number;
  quietHours: QuietHours | undefined;

  constructor(rules: readonly AlertRule[] = [], options: AlertEngineOptions = {}) {
    this.ledger = new AlertLedger(options.newId ?? randomUUID);
    this.repeatMs = options.repeatMs ?? 0;
    this.quietHours = options.quietHours;
    this.clock = new LocalClock(options.timeZone);
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
        if (a.cause === 'no-data') out = push(out, finish(this.ledger, st, now, 'auto', 'data resumed'));
        else if (a.value !== raw) {
          a.value = raw;
          this.ledger.touch(a);
        }
      }
      const c = st.rule.condition;
      if (c === 'nodata') continue;
      if (c === 'changed') {
        if (prev !== raw) this.ledger.dirtyPending.add(st);
      } else if (c !== 'equals' && x !== x) {
        continue; // text reading for a numeric rule
      }
      if (c === 'rate') {
        st.lastRate = (st.rate ??= new RateWindow()).push(now, x, st.rule.windowMs);
        if (st.lastRate !== st.lastRate) continue;
      }
      update(this.ledger, st, raw, x, prev, now);
      out = decide(this.ledger, st, now, out);
    }
    return out ?? NO_TRANSITIONS;
  }

  /**
   * Time passing: durations measured in seconds complete, silent series raise no-data, and
   * unacknowledged alerts repeat (non-critical ones held during quiet hours).
   */
  tick(now: number): AlertTransition[] {
    let out: AlertTransition[] = [];
    for (const st of this.ledger.pending) out = decide(this.ledger, st, now, out) ?? out;
    for (const st of this.ledger.watched) {
      if (st.alert === undefined && now - st.series.lastSeen >= st.rule.noDataMs) out.push(raise(this.ledger, st, 0, now, 'no-data'));
    }
    let quiet: boolean | undefined;
    for (const st of this.ledger.open.values()) {
      const a = st.alert;
      if (!a || a.state !== 'active') continue;
      const every = st.rule.repeatMs ?? this.repeatMs;
      if (!(every > 0) || now - a.notifiedAt < every) continue;
      if (a.severity !== 'critical' && (quiet ??= this.isQuiet(now))) continue; // held, goes out when quiet hours end
      a.notifiedAt = now;
      a.repeats++;
      out.push(this.ledger.record({ type: 'repeated', at: now, alert: { ...a } }, a));
    }
    return out;
  }

  acknowledge(alertId: string, by: string, note: string | undefined, now: number): ActionResult {
    const st = this.ledger.open.get(alertId);
    if (!st || !st.alert) return this.ledger.notOpen(alertId);
    const a = st.alert;
    if (a.state === 'acknowledged') {
      return { ok: false, status: 409, error: `alert ${alertId} is already acknowledged by ${a.acknowledgedBy ?? 'someone'}` };
    }
    a.state = 'acknowledged';
    a.acknowledgedBy = by;
    a.acknowledgedAt = now;
    a.acknowledgeNote = note;
    a.updatedAt = now;
    const t = this.ledger.record({ type: 'acknowledged', at: now, alert: { ...a }, by, note }, a);
    return { ok: true, alert: { ...a }, transitions: [t] };
  }

  /**
   * Clears an open alert by hand. If the condition still holds, a new alert needs the full
   * duration again: clearing says "dealt with", not "never again".
   */
  clear(alertId: string, by: string, now: number, note?: string): ActionResult {
    const st = this.ledger.open.get(alertId);
    if (!st || !st.alert) return this.ledger.notOpen(alertId);
    const t = finish(this.ledger, st, now, by, note ?? 'cleared by hand');
    return { ok: true, alert: { ...t.alert }, transitions: [t] };
  }

  get(alertId: string): Alert | undefined {
    const a = this.ledger.open.get(alertId)?.alert;
    return a && { ...a };
  }

  /** Open alerts (active and acknowledged), copies. */
  openAlerts(): Alert[] {
    const out: Alert[] = [];
    for (const st of this.ledger.open.values()) if (st.alert) out.push({ ...st.alert });
    return out;
  }

  /** Open alerts by severity, and how many are acknowledged. */
  counts(): { info: number; warning: number; critical: number; acknowledged: number } {
    const c = { info: 0, warning: 0, critical: 0, acknowledged: 0 };
    for (const st of this.ledger.open.values()) {
      if (!st.alert) continue;
      c[st.alert.severity]++;
      if (st.alert.state === 'acknowledged') c.acknowledged++;
    }
    return c;
  }

  /** Everything a restart needs: open alerts and every pending state worth keeping. */
  snapshot(): EngineSnapshot {
    const pending: PendingRecord[] = [];
    for (const m of this.series.values()) for (const s of m.values()) for (const st of s.states) if (worthKeeping(st)) pending.push(recordOf(st));
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
        this.ledger.forgetStored(rec);
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
      this.ledger.trackPending(st);
    }
    for (const stored of snapshot.alerts) {
      const rule = this.byId.get(stored.ruleId);
      if (!rule) {
        const a: Alert = { ...stored, state: 'cleared', clearedAt: now, clearedBy: 'auto', clearReason: 'rule removed', updatedAt: now };
        this.ledger.rememberCleared(a.id, now);
        out.push(this.ledger.record({ type: 'cleared', at: now, alert: { ...a }, by: 'auto', note: 'rule removed' }, a));
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
      this.ledger.open.set(a.id, st);
      if (rule.condition === 'changed' && st.clearSince < 0) st.clearSince = now;
      this.ledger.trackPending(st);
    }
    return out;
  }

  /** What changed since the last call, for batched persistence. Removals must be applied before upserts. */
  takeDirty(): DirtyState {
    return this.ledger.takeDirty();
  }

  /** Whether `now` falls in quiet hours. */
  isQuiet(now: number): boolean {
    return this.clock.isQuiet(this.quietHours, now);
  }

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
    const st = newRuleState(s, rule);
    if (rule.noDataMs > 0) {
      this.ledger.watched.add(st);
      this.ledger.dirtyPending.add(st);
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
      if (o.alert) out.push(finish(this.ledger, o, now, 'auto', this.byId.has(o.rule.id) ? 'rule no longer selects this device' : 'rule removed'));
      this.ledger.drop(o);
    }
    s.states = states;
    s.kind = kind;
    s.version = this.version;
  }

  /** A rule kept its id but may have changed: the state follows the new definition. */
  private rebind(st: RuleState, rule: CompiledRule): void {
    const changed = st.rule.signature !== rule.signature;
    if (st.rule.noDataMs > 0 && rule.noDataMs === 0) this.ledger.watched.delete(st);
    if (rule.noDataMs > 0) this.ledger.watched.add(st);
    st.rule = rule;
    if (changed) {
      // Limits changed: what was pending under the old ones proves nothing under the new.
      st.since = new Array<number>(rule.levels.length).fill(-1);
      st.count = new Array<number>(rule.levels.length).fill(0);
      st.clearSince = -1;
      st.clearCount = 0;
      st.rate = undefined;
      this.ledger.trackPending(st);
      this.ledger.dirtyPending.add(st);
    }
  }

}
