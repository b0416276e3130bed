import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import type { TrackedCommand } from '../commands/command-tracker';
import type { Reading } from '../model/reading';
import type { RegistryEvent } from '../registry/device-registry';
import type { RegistryService } from '../registry/registry-service';
import { AutomationEngine, conditionsFail, type Match } from './automation-engine';
import { undoValue } from './automation-check';
import { loadAutomations, loadRuns, loadScenes, loadSchedules, loadSiteClocks, saveLastSlot, saveScene, type SiteLocation } from './automation-store';
import type { Automation, AutomationNotice, AutomationRun, CauseLink, SceneProgress, LogbookEntry, Scene, Schedule, Target } from './automation-types';
import { Books, describeCause, trimLogbook } from './logbook';
import { ClockLock } from './clock-lock';
import { applyTargets, summarize, type TargetResult } from './scene-apply';
import { SlotTimer, type SiteClock } from './schedule-plan';

/**
 * Home automation as a running service, beside the device registry whose commands it sends
 * (through the command tracker: validated, confirmed or timed out). Follows readings, device
 * events and alerts; runs schedules on a 1 s tick; applies scenes; writes automation runs and
 * the logbook with each action's cause chain. Emits `run` (an automation, schedule or scene run),
 * `scene` (a scene's per-device progress) and `notify` (a notify action: octopus-registry queues it).
 */
export interface AutomationServiceOptions {
  registry: RegistryService;
  database: () => Promise<Pool>;
  /** The alert service to follow (its `transition` events), read on every tick. */
  now?: () => number;
  tickMs?: number;
  /** After a restart, a slot missed by less than this runs once (ms). */
  graceMs?: number;
}

export interface SceneApply {
  sceneId: string;
  startedAt: number;
  done: boolean;
  results: TargetResult[];
  cause: CauseLink[];
}

export interface RunEvent {
  kind: 'automation' | 'schedule' | 'scene';
  id: string;
  name: string;
  site: string;
  at: number;
  outcome: string;
  detail: string;
  cause: CauseLink[];
  results?: TargetResult[];
}

const DEFAULT_CLOCK: SiteClock = { timeZone: 'UTC', latitude: null, longitude: null };
const MAX_WAIT_S = 3600;

export class AutomationService extends EventEmitter {
  readonly engine = new AutomationEngine();
  readonly scenes = new Map<string, Scene>();
  readonly schedules = new Map<string, { schedule: Schedule; timer: SlotTimer }>();
  readonly lastApply = new Map<string, SceneApply>();
  readonly now: () => number;
  private readonly timeTriggers = new Map<string, SlotTimer>();
  private clocks = new Map<string, SiteLocation>();
  private readonly causes = new Map<string, { site: string; cause: CauseLink[] }>();
  private readonly waiters = new Map<string, (c: TrackedCommand) => void>();
  private readonly undo = new Map<string, NodeJS.Timeout>();
  private readonly sleeps = new Set<NodeJS.Timeout>();
  private readonly books: Books;
  private timer?: NodeJS.Timeout;
  private alertSource?: EventEmitter;
  private lastClockLoad = 0;
  private lastTrim = 0;
  private started = false;
  private stopped = false;
  /** Only one instance sharing the database runs schedules and time triggers (scale-out). */
  private readonly clockLock: ClockLock;
  lastError = '';

  constructor(private readonly options: AutomationServiceOptions) {
    super();
    this.now = options.now ?? options.registry.now;
    this.books = new Books(options.database, (err) => (this.lastError = err.message));
    this.clockLock = new ClockLock(options.database, () => this.tick(), (err) => (this.lastError = err.message));
  }

  get registry(): RegistryService {
    return this.options.registry;
  }
  readonly database = (): Promise<Pool> => this.options.database();

  clockOf(site: string): SiteLocation {
    return this.clocks.get(site) ?? { site, name: null, ...DEFAULT_CLOCK };
  }

  async start(): Promise<void> {
    const pool = await this.options.database();
    const now = this.now();
    await this.loadClocks(pool);
    for (const s of await loadScenes(pool)) this.scenes.set(s.id, s);
    for (const s of await loadSchedules(pool)) this.putSchedule(s, s.lastSlot ?? s.updatedAt);
    for (const a of await loadAutomations(pool)) this.putAutomation(a, now);
    if (this.stopped) return;
    const reg = this.options.registry;
    reg.on('readings', this.onReadings);
    reg.on('event', this.onRegistryEvent);
    reg.on('command', this.onCommand);
    this.started = true;
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const reg = this.options.registry;
    reg.off('readings', this.onReadings);
    reg.off('event', this.onRegistryEvent);
    reg.off('command', this.onCommand);
    this.alertSource?.off('transition', this.onAlert);
    for (const t of [...this.undo.values(), ...this.sleeps]) clearTimeout(t);
    this.undo.clear();
    this.sleeps.clear();
    if (this.started) await this.flush();
    this.clockLock.close();
  }

  // --- definitions (kept here and in Postgres; lib/automation/automation-definitions.ts checks them)

  putSchedule(s: Schedule, lastSlot: number): void {
    this.schedules.set(s.id, { schedule: s, timer: new SlotTimer(lastSlot) });
  }

  putAutomation(a: Automation, now = this.now()): void {
    this.engine.set(a);
    if (a.trigger.type === 'time') this.timeTriggers.set(a.id, new SlotTimer(now));
    else this.timeTriggers.delete(a.id);
  }

  removeAutomation(id: string): void {
    this.engine.remove(id);
    this.timeTriggers.delete(id);
  }

  setClock(loc: SiteLocation): void {
    this.clocks.set(loc.site, loc);
    for (const { schedule, timer } of this.schedules.values()) if (schedule.site === loc.site) timer.reset();
  }

  async automationRuns(id: string, limit: number): Promise<AutomationRun[]> {
    await this.flush();
    return loadRuns(await this.options.database(), id, limit);
  }

  // --- events in

  private readonly onReadings = (readings: readonly Reading[]) => {
    for (const r of readings) for (const m of this.engine.onReading(r)) void this.runAutomation(m);
  };

  private readonly onRegistryEvent = (e: RegistryEvent) => {
    if (e.type !== 'online' && e.type !== 'offline' && e.type !== 'stale') return;
    const d = this.options.registry.registry.get(e.deviceId);
    if (d) this.log({ site: d.site, at: e.ts, kind: 'device', deviceId: e.deviceId, message: `${d.meta.name ?? e.deviceId} ${e.type}: ${e.reason}`, cause: [] });
    if (e.type === 'offline') for (const m of this.engine.onDeviceOffline(e.deviceId, e.ts)) void this.runAutomation(m);
  };

  private readonly onCommand = (c: TrackedCommand) => {
    if (c.status === 'pending') return;
    const waiter = this.waiters.get(c.id);
    if (waiter) {
      this.waiters.delete(c.id);
      waiter(c);
    }
    const known = this.causes.get(c.id);
    this.causes.delete(c.id);
    const site = known?.site ?? this.options.registry.registry.get(c.deviceId)?.site;
    if (!site) return;
    const cause = known?.cause ?? (c.requestedBy.startsWith('api:') ? [{ kind: 'user' as const, name: c.requestedBy.slice(4) }] : [{ kind: 'user' as const, name: c.requestedBy }]);
    this.log({ site, at: c.statusAt, kind: 'command', deviceId: c.deviceId, message: `${c.deviceId} ${c.attribute} → ${String(c.value)}: ${c.status}${c.detail ? ` (${c.detail})` : ''}`, cause });
  };

  private readonly onAlert = (t: { type: string; at: number; alert: { id: string; site: string; deviceId: string; severity: string; message: string } }) => {
    if (t.type !== 'raised' && t.type !== 'cleared') return;
    const a = t.alert;
    this.log({ site: a.site, at: t.at, kind: 'alert', deviceId: a.deviceId, message: `alert ${t.type}: ${a.message}`, cause: [] });
    if (t.type === 'raised') for (const m of this.engine.onAlert(a, t.at)) void this.runAutomation(m);
  };

  /** Follows this alert service's transitions (the registry node hands over each change of the runtime's). */
  followAlerts(alerts: EventEmitter | undefined): void {
    if (alerts === this.alertSource) return;
    this.alertSource?.off('transition', this.onAlert);
    alerts?.on('transition', this.onAlert);
    this.alertSource = alerts;
  }

  // --- the clock

  private tick(): void {
    const now = this.now();
    if (now - this.lastClockLoad > 60_000) {
      this.lastClockLoad = now;
      void this.options.database().then((pool) => this.loadClocks(pool)).catch((err: Error) => (this.lastError = err.message));
    }
    if (now - this.lastTrim > 3_600_000) {
      this.lastTrim = now;
      void this.options.database().then((pool) => trimLogbook(pool, now)).catch((err: Error) => (this.lastError = err.message));
    }
    this.clockLock.poll();
    if (!this.clockLock.held) return void this.flush();
    const grace = this.options.graceMs ?? 15 * 60_000;
    for (const { schedule, timer } of this.schedules.values()) {
      if (!schedule.enabled) continue;
      const due = timer.check(schedule.slots, this.clockOf(schedule.site), now, grace);
      if (!due) continue;
      for (const m of due.missed) this.log({ site: schedule.site, at: now, kind: 'schedule', deviceId: null, message: `schedule '${schedule.name}': the run of ${new Date(m.at).toISOString()} was missed (Octopus was not running)`, cause: [] });
      if (due.moreMissed > 0) this.log({ site: schedule.site, at: now, kind: 'schedule', deviceId: null, message: `schedule '${schedule.name}': ${due.moreMissed} more runs were missed`, cause: [] });
      schedule.lastSlot = due.lastSlot;
      void this.options.database().then((pool) => saveLastSlot(pool, schedule.id, due.lastSlot)).catch((err: Error) => (this.lastError = err.message));
      if (due.run) void this.runSchedule(schedule, due.run.at, due.run.value);
    }
    for (const [id, timer] of this.timeTriggers) {
      const a = this.engine.get(id);
      if (!a || !a.enabled || a.trigger.type !== 'time') continue;
      const due = timer.check([{ kind: 'weekly', days: a.trigger.days, time: a.trigger.time }], this.clockOf(a.site), now, 60_000);
      if (due?.run) void this.runAutomation({ automation: a, cause: { kind: 'time', at: due.run.at } });
    }
    void this.flush();
  }

  private async loadClocks(pool: Pool): Promise<void> {
    for (const loc of await loadSiteClocks(pool)) {
      const old = this.clocks.get(loc.site);
      if (!old || old.timeZone !== loc.timeZone || old.latitude !== loc.latitude || old.longitude !== loc.longitude) this.setClock(loc);
      else this.clocks.set(loc.site, loc);
    }
  }

  // --- running

  /** Sends one command on behalf of a cause; the logbook records its outcome with that cause. */
  private async command(site: string, t: Target, cause: CauseLink[], by: string): Promise<{ ok: true; id: string } | { ok: false; error: string }> {
    const result = await this.options.registry.sendCommand({ ...t, requestedBy: by });
    if (!result.ok) {
      this.log({ site, at: this.now(), kind: 'command', deviceId: t.deviceId, message: `${t.deviceId} ${t.attribute} → ${String(t.value)}: refused (${result.error})`, cause });
      return { ok: false, error: result.error };
    }
    this.causes.set(result.command.id, { site, cause });
    return { ok: true, id: result.command.id };
  }

  private settled(id: string): Promise<{ status: 'confirmed' | 'timeout' | 'failed'; detail?: string }> {
    return new Promise((resolve) => this.waiters.set(id, (c) => resolve({ status: c.status as 'confirmed' | 'timeout' | 'failed', detail: c.detail })));
  }

  async runSchedule(s: Schedule, slotAt: number, value: Target['value'] | undefined): Promise<void> {
    const cause: CauseLink[] = [{ kind: 'schedule', id: s.id, name: s.name, slotAt }];
    const ranAt = this.now(); // the logbook says when it ran, not when the devices answered
    let outcome = 'done';
    let detail: string;
    if (s.action.type === 'scene') {
      const applied = await this.applyScene(s.action.sceneId, cause, `schedule:${s.id}`);
      detail = applied ? summarize(applied.results) : `scene ${s.action.sceneId} no longer exists`;
      if (!applied) outcome = 'failed';
    } else {
      const sent = await this.command(s.site, { deviceId: s.action.deviceId, attribute: s.action.attribute, value: value ?? true }, cause, `schedule:${s.id}`);
      detail = sent.ok ? `${s.action.deviceId} ${s.action.attribute} → ${String(value)}` : sent.error;
      if (!sent.ok) outcome = 'failed';
    }
    this.log({ site: s.site, at: ranAt, kind: 'schedule', deviceId: null, message: `schedule '${s.name}' ran: ${detail}`, cause: cause.slice(1) });
    this.emit('run', { kind: 'schedule', id: s.id, name: s.name, site: s.site, at: ranAt, outcome, detail, cause } satisfies RunEvent);
  }

  /** Applies a scene: remembers the states it replaces, commands every target, reports each. */
  async applyScene(sceneId: string, cause: CauseLink[], by: string, restore = false): Promise<SceneApply | undefined> {
    const scene = this.scenes.get(sceneId);
    if (!scene) return undefined;
    const targets = restore ? (scene.previous ?? []) : scene.targets;
    const chain: CauseLink[] = [{ kind: 'scene', id: scene.id, name: scene.name }, ...cause];
    if (!restore) {
      const reg = this.options.registry.registry;
      scene.previous = scene.targets.flatMap((t) => {
        const v = reg.get(t.deviceId)?.attributes.get(t.attribute)?.value;
        return v === undefined ? [] : [{ deviceId: t.deviceId, attribute: t.attribute, value: v }];
      });
      scene.appliedAt = this.now();
      void this.options.database().then((pool) => saveScene(pool, scene)).catch((err: Error) => (this.lastError = err.message));
    }
    const run: SceneApply = { sceneId, startedAt: this.now(), done: false, results: [], cause: chain };
    this.lastApply.set(sceneId, run);
    run.results = await applyTargets(targets, {
      send: (t) => this.command(scene.site, t, chain, by),
      settled: (id) => this.settled(id),
      progress: (results) => {
        run.results = [...results];
        this.emit('scene', { sceneId, site: scene.site, startedAt: run.startedAt, done: false, results: run.results } satisfies SceneProgress);
      },
    });
    run.done = true;
    this.emit('scene', { sceneId, site: scene.site, startedAt: run.startedAt, done: true, results: run.results } satisfies SceneProgress);
    const detail = `${restore ? 'restored' : 'applied'}: ${summarize(run.results)}`;
    this.log({ site: scene.site, at: this.now(), kind: 'scene', deviceId: null, message: `scene '${scene.name}' ${detail}`, cause });
    this.emit('run', { kind: 'scene', id: scene.id, name: scene.name, site: scene.site, at: this.now(), outcome: 'done', detail, cause: chain, results: run.results } satisfies RunEvent);
    if (!restore) for (const m of this.engine.onSceneApplied(scene)) void this.runAutomation(m);
    return run;
  }

  /** One run of an automation: rate limit, conditions, then its actions in order. */
  async runAutomation(match: Match): Promise<void> {
    const a = match.automation;
    const now = this.now();
    const cause: CauseLink[] = [{ kind: 'automation', id: a.id, name: a.name }, match.cause];
    const record = (outcome: AutomationRun['outcome'], detail: string) => {
      this.books.run({ automationId: a.id, site: a.site, at: this.now(), outcome, detail, cause: [match.cause] });
      if (outcome !== 'skipped') this.log({ site: a.site, at: this.now(), kind: 'automation', deviceId: null, message: `automation '${a.name}' ${outcome}: ${detail}`, cause: [match.cause] });
      this.emit('run', { kind: 'automation', id: a.id, name: a.name, site: a.site, at: this.now(), outcome, detail, cause } satisfies RunEvent);
    };
    const reg = this.options.registry.registry;
    const clock = this.clockOf(a.site);
    const failed = conditionsFail(a.conditions, {
      now,
      clock,
      value: (id, attr) => {
        const d = reg.get(id);
        return d && d.site === a.site ? d.attributes.get(attr)?.value : undefined;
      },
      trackers: () => [...reg.all()].filter((d) => d.site === a.site && d.profile === 'owntracks').map((d) => d.deviceId),
    });
    if (failed) return record('skipped', failed);
    // A repeat while a "for N seconds" is running only renews it: motion keeps the light on.
    const timed = a.actions.filter((x) => x.type === 'command' && x.forSeconds !== undefined);
    if (timed.length === a.actions.length && timed.every((x) => x.type === 'command' && this.undo.has(undoKey(a.id, x.deviceId, x.attribute)))) {
      for (const x of timed) if (x.type === 'command') this.scheduleUndo(a, x, cause);
      return record('done', `renewed: back in ${timed.map((x) => (x.type === 'command' ? `${x.forSeconds} s` : '')).join(', ')}`);
    }
    if (!this.engine.allow(a, now)) return record('rate-limited', `more than ${a.maxRunsPerHour} runs in the last hour`);
    const done: string[] = [];
    try {
      for (const x of a.actions) {
        if (x.type === 'command') {
          const sent = await this.command(a.site, x, cause, `automation:${a.id}`);
          done.push(sent.ok ? `${x.deviceId} ${x.attribute} → ${String(x.value)}` : `${x.deviceId}: ${sent.error}`);
          if (sent.ok && x.forSeconds !== undefined) this.scheduleUndo(a, x, cause);
        } else if (x.type === 'scene') {
          const applied = await this.applyScene(x.sceneId, cause, `automation:${a.id}`);
          done.push(applied ? `scene ${this.scenes.get(x.sceneId)?.name}: ${summarize(applied.results)}` : `scene ${x.sceneId} no longer exists`);
        } else if (x.type === 'notify') {
          this.emit('notify', { site: a.site, message: x.message, automationId: a.id, name: a.name, at: this.now(), cause } satisfies AutomationNotice);
          done.push(`notify "${x.message}"`);
        } else {
          await this.sleep(Math.min(x.seconds, MAX_WAIT_S) * 1000);
          done.push(`waited ${x.seconds} s`);
        }
      }
      record('done', done.join('; '));
    } catch (err) {
      record('failed', `${done.join('; ')}${done.length ? '; ' : ''}${(err as Error).message}`);
    }
  }

  private scheduleUndo(a: Automation, x: Extract<Automation['actions'][number], { type: 'command' }>, cause: CauseLink[]): void {
    const key = undoKey(a.id, x.deviceId, x.attribute);
    clearTimeout(this.undo.get(key));
    const back = undoValue(x);
    if (back === undefined) return;
    this.undo.set(
      key,
      setTimeout(() => {
        this.undo.delete(key);
        void this.command(a.site, { deviceId: x.deviceId, attribute: x.attribute, value: back }, [{ kind: 'automation', id: a.id, name: a.name }, { kind: 'time', at: this.now() }, ...cause.slice(1)], `automation:${a.id}`);
      }, (x.forSeconds ?? 0) * 1000),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleeps.delete(t);
        resolve();
      }, ms);
      this.sleeps.add(t);
    });
  }

  // --- the books

  log(e: LogbookEntry): void {
    this.books.log(e);
    this.emit('logbook', { ...e, causeText: describeCause(e.cause) });
  }

  /** Writes buffered logbook lines and runs. */
  flush(): Promise<void> {
    return this.books.flush();
  }
}

function undoKey(id: string, deviceId: string, attribute: string): string {
  return `${id}\u0000${deviceId}\u0000${attribute}`;
}
