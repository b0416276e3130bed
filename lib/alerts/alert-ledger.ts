import type { ActionResult, Alert, AlertTransition, DirtyState, PendingKey, PendingRecord } from './alert-types';
import { recordOf, worthKeeping, type RuleState } from './alert-series';

const RECENT_CLEARED = 1000;

function keyOf(ruleId: string, deviceId: string, attribute: string): string {
  return `${ruleId}\u0000${deviceId}\u0000${attribute}`;
}

/**
 * The engine's books: which alerts are open, which states the tick must look at, and what changed
 * since persistence last asked (alert rows, the transition log, pending state and its removals).
 * The state machine (alert-transitions.ts) writes here; AlertEngine owns one.
 */
export class AlertLedger {
  /** Open alerts by id, with the state that owns each. */
  readonly open = new Map<string, RuleState>();
  /** Alerts cleared lately, so acknowledging one answers 409 rather than 404. */
  private readonly recentlyCleared = new Map<string, number>();
  /** States whose durations are measured in time and that are part-way: the tick looks at them. */
  readonly pending = new Set<RuleState>();
  /** States of rules with a no-data limit. */
  readonly watched = new Set<RuleState>();
  readonly dirtyPending = new Set<RuleState>();
  private dirtyAlerts = new Set<Alert>();
  private events: AlertTransition[] = [];
  private readonly removedPending = new Map<string, PendingKey>();

  constructor(readonly newId: () => string) {}

  /** Logs a transition and marks its alert for writing. */
  record(t: AlertTransition, a: Alert): AlertTransition {
    this.dirtyAlerts.add(a);
    this.events.push(t);
    return t;
  }

  /** The alert's value changed while open: its row must be written again. */
  touch(a: Alert): void {
    this.dirtyAlerts.add(a);
  }

  rememberCleared(id: string, now: number): void {
    this.recentlyCleared.set(id, now);
    if (this.recentlyCleared.size > RECENT_CLEARED) {
      const oldest = this.recentlyCleared.keys().next().value;
      if (oldest !== undefined) this.recentlyCleared.delete(oldest);
    }
  }

  notOpen(alertId: string): ActionResult {
    if (this.recentlyCleared.has(alertId)) return { ok: false, status: 409, error: `alert ${alertId} is already cleared` };
    return { ok: false, status: 404, error: `no open alert ${alertId}` };
  }

  /** Keeps the pending set in step with whether the state has a duration part-way. */
  trackPending(st: RuleState): void {
    if (!st.rule.timed) return;
    let p = st.clearSince >= 0;
    for (let i = 0; !p && i < st.since.length; i++) p = st.since[i] >= 0;
    if (p === st.inPending) return;
    st.inPending = p;
    if (p) this.pending.add(st);
    else this.pending.delete(st);
  }

  /** A state that was stored but whose rule is gone (found at restore): its row must go. */
  forgetStored(rec: PendingKey): void {
    this.removedPending.set(keyOf(rec.ruleId, rec.deviceId, rec.attribute), { ruleId: rec.ruleId, deviceId: rec.deviceId, attribute: rec.attribute });
  }

  /** A state no longer selected by its rule: out of every set, and its stored row removed. */
  drop(st: RuleState): void {
    st.dropped = true;
    this.pending.delete(st);
    this.watched.delete(st);
    this.dirtyPending.delete(st);
    if (st.persisted) this.forgetStored({ ruleId: st.rule.id, deviceId: st.series.deviceId, attribute: st.series.attribute });
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
      if (worthKeeping(st)) {
        pending.push(recordOf(st));
        st.persisted = true;
      } else if (st.persisted) {
        removedPending.push({ ruleId: st.rule.id, deviceId: st.series.deviceId, attribute: st.series.attribute });
        st.persisted = false;
      }
    }
    this.dirtyPending.clear();
    return { alerts, events, pending, removedPending };
  }
}
