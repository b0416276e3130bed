import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import type { Reading } from '../model/reading';
import { AlertEngine, type ActionResult, type Alert, type AlertState, type AlertTransition, type DirtyState, type PendingRecord, type QuietHours } from './alert-engine';
import { loadAlert, loadAlertEvents, loadAlertState, loadStoredRules, queryAlerts, saveAlertState, saveStoredRules, type AlertEvent, type AlertFilters } from './alert-store';
import { checkRules, type AlertRule, type Severity } from './rules';

/**
 * The alert engine as a running service: the engine, its 1 s tick, batched persistence, the
 * restore at start (readings that arrive before it are held, then evaluated), and the operations
 * the REST API and flows use. The octopus-alert node owns one. Emits `transition`
 * (AlertTransition) for every transition, whatever caused it, and `save-error`.
 */
export interface AlertServiceOptions {
  /** Absent: nothing is persisted (benchmarks, tests of the engine path). */
  database?: () => Promise<Pool>;
  /** Identifies the node whose rules a flow may replace by message (kept across restarts). */
  nodeId?: string;
  /** The rules from the node's editor, already validated. */
  rules: AlertRule[];
  repeatMs?: number;
  quietHours?: QuietHours;
  timeZone?: string;
  /** The device kind (registry `meta.kind`), looked up only when some rule selects by kind. */
  kindOf?: (deviceId: string) => string | undefined;
  now?: () => number;
  tickIntervalMs?: number;
  saveIntervalMs?: number;
  /** Readings held while the state loads; beyond this the oldest are dropped (and counted). */
  maxBuffered?: number;
  newId?: () => string;
}

export type ServiceResult = ActionResult | { ok: false; status: 503; error: string };

export interface ActiveFilters {
  site?: string;
  device?: string;
  attribute?: string;
  ruleId?: string;
  severity?: Severity[];
  state?: AlertState[];
}

/** Transitions ask for a save this soon: the time a crash could lose one, kept short. */
const TRANSITION_SAVE_DELAY_MS = 50;

export class AlertService extends EventEmitter {
  readonly engine: AlertEngine;
  readonly now: () => number;
  ready = false;
  lastSaveError = '';
  /** Readings dropped because the state took too long to load. */
  droppedWhileLoading = 0;
  rulesSource: 'editor' | 'message' = 'editor';
  private readonly editorHash: string;
  private held: Reading[] = [];
  private heldAt: number[] = [];
  private timers: NodeJS.Timeout[] = [];
  private soon: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private carry: DirtyState | undefined;
  /** Rules set by message, waiting to be written. */
  private storedRules: AlertRule[] | undefined;
  private stopped = false;

  constructor(private readonly options: AlertServiceOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.engine = new AlertEngine(options.rules, {
      repeatMs: options.repeatMs,
      quietHours: options.quietHours,
      timeZone: options.timeZone,
      newId: options.newId,
    });
    this.editorHash = createHash('sha256').update(JSON.stringify(options.rules)).digest('hex');
  }

  /**
   * Loads stored state (rejects while the database does not answer: call again) and starts the
   * tick and save timers. Nothing is evaluated before the state is back, so an alert open before a
   * restart is neither forgotten nor raised a second time.
   */
  async start(): Promise<void> {
    if (!this.ready) {
      let snapshot = { alerts: [] as Alert[], pending: [] as PendingRecord[] };
      const db = this.options.database;
      if (db) {
        const pool = await db();
        if (this.rulesSource === 'editor' && this.options.nodeId) {
          const stored = await loadStoredRules(pool, this.options.nodeId);
          if (stored && stored.editorHash === this.editorHash) {
            const checked = checkRules(stored.rules);
            if (checked.ok) {
              this.engine.setRules(checked.rules, this.now());
              this.rulesSource = 'message';
            }
          }
        }
        snapshot = await loadAlertState(pool);
      }
      const now = this.now();
      const cleared = this.engine.restore(snapshot, now);
      this.ready = true;
      this.emitAll(cleared);
      const held = this.held;
      const heldAt = this.heldAt;
      this.held = [];
      this.heldAt = [];
      for (let i = 0; i < held.length; i++) this.observeAt(held[i], heldAt[i]);
      this.emitAll(this.engine.tick(now));
      this.saveSoon();
    }
    if (this.stopped || this.timers.length > 0) return;
    this.timers.push(
      setInterval(() => this.tick(), this.options.tickIntervalMs ?? 1000),
      setInterval(() => void this.save(), this.options.saveIntervalMs ?? 1000),
    );
  }

  /** Stops the timers and writes what is left. Call it synchronously from the node's close handler (see below). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.soon);
    if (!this.ready) return;
    // Asked for now, before this call yields: on redeploy the database config node closes right after
    // this node's close handler returns, and a closed Database no longer hands out its pool.
    const pool = this.options.database?.();
    pool?.catch(() => undefined);
    await this.save(pool);
  }

  /** The hot path: readings from the parser. */
  observeReadings(readings: readonly Reading[]): void {
    if (!this.ready) {
      const now = this.now();
      const max = this.options.maxBuffered ?? 100_000;
      for (const r of readings) {
        if (this.held.length >= max) {
          this.held.shift();
          this.heldAt.shift();
          this.droppedWhileLoading++;
        }
        this.held.push(r);
        this.heldAt.push(now);
      }
      return;
    }
    const now = this.now();
    for (let i = 0; i < readings.length; i++) this.observeAt(readings[i], now);
  }

  private observeAt(r: Reading, now: number): void {
    const kindOf = this.engine.usesKind ? this.options.kindOf : undefined;
    const t = this.engine.observe(r, now, kindOf ? kindOf(r.deviceId) : undefined);
    if (t.length > 0) {
      this.emitAll(t);
      this.saveSoon();
    }
  }

  tick(): void {
    if (!this.ready) return;
    const t = this.engine.tick(this.now());
    if (t.length > 0) {
      this.emitAll(t);
      this.saveSoon();
    }
  }

  /**
   * Replaces the rules from a message (validated; the sentences come back on failure). They are
   * kept in the database and come back after a restart, until the node's editor rules change.
   */
  setRules(input: unknown): { ok: true; count: number } | { ok: false; error: string } {
    const checked = checkRules(input);
    if (!checked.ok) return { ok: false, error: checked.errors.join('; ') };
    this.rulesSource = 'message';
    this.emitAll(this.engine.setRules(checked.rules, this.now()));
    this.storedRules = checked.rules;
    this.saveSoon();
    return { ok: true, count: this.engine.ruleCount };
  }

  async acknowledge(id: string, by: string, note: string | undefined): Promise<ServiceResult> {
    if (!this.ready) return { ok: false, status: 503, error: 'alerts are still loading from the database' };
    return this.settle(this.engine.acknowledge(id, by, note, this.now()), id);
  }

  async clear(id: string, by: string, note: string | undefined): Promise<ServiceResult> {
    if (!this.ready) return { ok: false, status: 503, error: 'alerts are still loading from the database' };
    return this.settle(this.engine.clear(id, by, this.now(), note), id);
  }

  private async settle(r: ActionResult, id: string): Promise<ServiceResult> {
    if (r.ok) {
      this.emitAll(r.transitions);
      this.saveSoon();
      return r;
    }
    if (r.status === 404 && this.options.database) {
      // Cleared long ago (or before a restart): the history knows it.
      const pool = await this.options.database();
      const stored = await loadAlert(pool, id);
      if (stored?.state === 'cleared') return { ok: false, status: 409, error: `alert ${id} is already cleared` };
    }
    return r;
  }

  /** Open alerts, most severe and then newest first. */
  activeAlerts(f: ActiveFilters = {}): Alert[] {
    return this.engine
      .openAlerts()
      .filter(
        (a) =>
          (f.site === undefined || a.site === f.site) &&
          (f.device === undefined || a.deviceId === f.device || a.device === f.device) &&
          (f.attribute === undefined || a.attribute === f.attribute) &&
          (f.ruleId === undefined || a.ruleId === f.ruleId) &&
          (!f.severity || f.severity.length === 0 || f.severity.includes(a.severity)) &&
          (!f.state || f.state.length === 0 || f.state.includes(a.state)),
      )
      .sort((a, b) => rank(b.severity) - rank(a.severity) || b.raisedAt - a.raisedAt || (a.id < b.id ? -1 : 1));
  }

  /** Alerts from the history (open and cleared), written first so the answer includes the latest. */
  async history(f: AlertFilters): Promise<{ alerts: Alert[]; total: number }> {
    const db = this.options.database;
    if (!db) return { alerts: [], total: 0 };
    await this.save();
    return queryAlerts(await db(), f);
  }

  async alertWithEvents(id: string): Promise<{ alert: Alert; events: AlertEvent[] } | undefined> {
    const db = this.options.database;
    const open = this.engine.get(id);
    if (!db) return open && { alert: open, events: [] };
    await this.save();
    const pool = await db();
    const alert = open ?? (await loadAlert(pool, id));
    return alert && { alert, events: await loadAlertEvents(pool, id) };
  }

  counts(): ReturnType<AlertEngine['counts']> {
    return this.engine.counts();
  }

  /** Writes what changed since the last save. Serialised: one save at a time; a failed batch is retried with the next. */
  save(poolNow?: Promise<Pool>): Promise<void> {
    this.saving = this.saving.then(async () => {
      const batch = merge(this.carry, this.engine.takeDirty());
      this.carry = undefined;
      const rules = this.storedRules;
      this.storedRules = undefined;
      const db = this.options.database;
      const empty = batch.alerts.length + batch.events.length + batch.pending.length + batch.removedPending.length === 0;
      if (!db || (empty && rules === undefined)) return;
      try {
        const pool = await (poolNow ?? db());
        if (!empty) await saveAlertState(pool, batch);
        if (rules !== undefined && this.options.nodeId) await saveStoredRules(pool, this.options.nodeId, rules, this.editorHash);
        this.lastSaveError = '';
      } catch (err) {
        // The engine is the source of truth: keep the batch and write it with the next one.
        this.carry = batch;
        if (rules !== undefined && this.storedRules === undefined) this.storedRules = rules;
        this.lastSaveError = (err as Error).message;
        this.emit('save-error', err);
      }
    });
    return this.saving;
  }

  private saveSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.save();
    }, TRANSITION_SAVE_DELAY_MS);
  }

  private emitAll(transitions: readonly AlertTransition[]): void {
    for (const t of transitions) this.emit('transition', t);
  }
}

function rank(s: Severity): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}

/** A failed batch followed by a newer one: later rows win, removals of the newer batch undo older upserts. */
function merge(older: DirtyState | undefined, newer: DirtyState): DirtyState {
  if (!older) return newer;
  const alerts = new Map<string, Alert>();
  for (const a of older.alerts) alerts.set(a.id, a);
  for (const a of newer.alerts) alerts.set(a.id, a);
  const key = (k: { ruleId: string; deviceId: string; attribute: string }) => `${k.ruleId}\u0000${k.deviceId}\u0000${k.attribute}`;
  const pending = new Map<string, PendingRecord>();
  for (const p of older.pending) pending.set(key(p), p);
  for (const k of newer.removedPending) pending.delete(key(k));
  for (const p of newer.pending) pending.set(key(p), p);
  return {
    alerts: [...alerts.values()],
    events: [...older.events, ...newer.events],
    pending: [...pending.values()],
    removedPending: [...older.removedPending, ...newer.removedPending],
  };
}
