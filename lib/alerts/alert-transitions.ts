import type { ReadingValue } from '../model/reading';
import { clearReadingsNeeded, clears, holds, templateFields, type RuleState } from './alert-series';
import type { AlertLedger } from './alert-ledger';
import type { Alert, AlertCause, AlertTransition } from './alert-types';
import type { CompiledRule } from './rule-compile';
import { severityRank } from './rule-schema';
import { renderTemplate } from './rule-template';

/**
 * The alert state machine's moves for one (rule, series) state: durations updated from a reading,
 * then raise, escalate or clear once they are met. Each move is written to the ledger.
 */

export const NO_TRANSITIONS: readonly AlertTransition[] = Object.freeze([]);

/** Appends to a list allocated only when there is something to say (the hot path mostly has not). */
export function push(out: AlertTransition[] | undefined, t: AlertTransition): AlertTransition[] {
  if (!out) return [t];
  out.push(t);
  return out;
}

/** Updates how long each level (and the clear condition) has held, from one reading. */
export function update(ledger: AlertLedger, st: RuleState, raw: ReadingValue, x: number, prev: ReadingValue | undefined, now: number): void {
  const rule = st.rule;
  const levels = rule.levels;
  let changed = false;
  for (let i = 0; i < levels.length; i++) {
    if (holds(rule, i, raw, x, prev, st.lastRate)) {
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
    const need = clearReadingsNeeded(rule);
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
    } else if (clears(rule, raw, x, st.lastRate)) {
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
    ledger.dirtyPending.add(st);
    ledger.trackPending(st);
  }
}

/** Raises, escalates or clears once the durations (readings and time) are met. */
export function decide(ledger: AlertLedger, st: RuleState, now: number, out: AlertTransition[] | undefined): AlertTransition[] | undefined {
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
    if (reached >= 0) out = push(out, raise(ledger, st, reached, now, 'condition'));
    return out;
  }
  if (st.clearSince >= 0 && st.clearCount >= clearReadingsNeeded(rule) && now - st.clearSince >= rule.clearForMs) {
    return push(out, finish(ledger, st, now, 'auto', 'condition cleared'));
  }
  if (reached >= 0 && levels[reached].rank > severityRank(a.severity)) out = push(out, escalate(ledger, st, reached, now));
  return out;
}

export function raise(ledger: AlertLedger, st: RuleState, level: number, now: number, cause: AlertCause): AlertTransition {
  const rule = st.rule;
  const s = st.series;
  const l = rule.levels[level];
  const a: Alert = {
    id: ledger.newId(),
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
    message: renderTemplate(cause === 'no-data' ? rule.noDataMessage : rule.message, templateFields(st, level, now)),
    value: s.value ?? null,
    raisedAt: now,
    updatedAt: now,
    notifiedAt: now,
    repeats: 0,
  };
  if (s.unit !== undefined) a.unit = s.unit;
  setLimits(a, rule, level);
  st.alert = a;
  st.clearSince = rule.condition === 'changed' ? now : -1;
  st.clearCount = 0;
  ledger.open.set(a.id, st);
  ledger.dirtyPending.add(st);
  ledger.trackPending(st);
  return ledger.record({ type: 'raised', at: now, alert: { ...a } }, a);
}

function escalate(ledger: AlertLedger, st: RuleState, level: number, now: number): AlertTransition {
  const a = st.alert as Alert;
  const l = st.rule.levels[level];
  const previousSeverity = a.severity;
  a.severity = l.severity;
  a.message = renderTemplate(st.rule.message, templateFields(st, level, now));
  setLimits(a, st.rule, level);
  a.updatedAt = now;
  a.notifiedAt = now;
  if (a.state === 'acknowledged') {
    // What was acknowledged was the milder alert: the worse one needs someone's attention again.
    a.state = 'active';
    delete a.acknowledgedBy;
    delete a.acknowledgedAt;
    delete a.acknowledgeNote;
  }
  return ledger.record({ type: 'escalated', at: now, alert: { ...a }, previousSeverity }, a);
}

function setLimits(a: Alert, rule: CompiledRule, level: number): void {
  const l = rule.levels[level];
  if (rule.condition === 'above' || rule.condition === 'below' || rule.condition === 'rate') a.threshold = l.threshold;
  else if (rule.condition === 'outside' || rule.condition === 'inside') {
    a.min = l.min;
    a.max = l.max;
  }
}

/** Closes the state's alert (automatically or by hand); pending durations start afresh. */
export function finish(ledger: AlertLedger, st: RuleState, now: number, by: string, reason: string): AlertTransition {
  const a = st.alert as Alert;
  a.state = 'cleared';
  a.clearedAt = now;
  a.clearedBy = by;
  a.clearReason = reason;
  a.updatedAt = now;
  ledger.open.delete(a.id);
  ledger.rememberCleared(a.id, now);
  st.alert = undefined;
  st.since.fill(-1);
  st.count.fill(0);
  st.clearSince = -1;
  st.clearCount = 0;
  ledger.dirtyPending.add(st);
  ledger.trackPending(st);
  return ledger.record({ type: 'cleared', at: now, alert: { ...a }, by, note: reason }, a);
}
