import type { ReadingValue } from '../model/reading';
import type { QuietHours } from './quiet-hours';
import type { ConditionKind, Severity } from './rule-schema';

/** The alert engine's public shapes: alerts, their transitions and what persistence stores. */
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
