import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import { commandMessage, controlProblem, validateCommand } from '../commands/command-rules';
import { CommandTracker, type TrackedCommand } from '../commands/command-tracker';
import { AnnouncedClasses } from '../energy/announced-class';
import { saveDeviceClasses } from '../energy/energy-store';
import type { DeviceEvent, ProfileName, Reading } from '../model/reading';
import { DeviceRegistry, type DeviceMeta, type RegistryEvent, type RegistryOptions } from './device-registry';
import { loadDevices, saveDevices } from './registry-store';

/**
 * The registry as a running service: the in-memory model, its periodic sweep and batched
 * persistence, and commands (validated, published, tracked, stored). Node-RED's registry config
 * node owns one; the devices and command nodes, the REST API and the dashboard all use it.
 * Emits `event` (RegistryEvent), `command` (TrackedCommand on every status change) and `readings`
 * (each batch observed, once the registry holds it).
 */
export interface RegistryServiceOptions {
  database: () => Promise<Pool>;
  publish: (topic: string, payload: string) => Promise<void>;
  registry?: Partial<RegistryOptions>;
  /** How long a command waits for the device to report the new state (ms). */
  commandTimeoutMs?: number;
  saveIntervalMs?: number;
  sweepIntervalMs?: number;
  now?: () => number;
}

export type CommandResult = { ok: true; command: TrackedCommand } | { ok: false; status: 400 | 404 | 409 | 502 | 503; error: string };

const META_KEYS = new Set<keyof DeviceMeta>(['name', 'room', 'kind', 'icon', 'expectedIntervalMs', 'controls', 'model', 'manufacturer', 'firmware']);

export class RegistryService extends EventEmitter {
  readonly registry: DeviceRegistry;
  readonly commands = new CommandTracker();
  /** Attribute classes discovery announced, written to attribute_classes on the next save. */
  readonly announcedClasses = new AnnouncedClasses();
  private timers: NodeJS.Timeout[] = [];
  private saving: Promise<void> = Promise.resolve();
  private commandWrites: TrackedCommand[] = [];
  private loaded = false;
  readonly now: () => number;
  lastSaveError = '';

  constructor(private readonly options: RegistryServiceOptions) {
    super();
    this.registry = new DeviceRegistry(options.registry);
    this.now = options.now ?? Date.now;
  }

  /** Loads the devices from the database (retrying until it answers) and starts the timers. */
  async start(): Promise<void> {
    const pool = await this.options.database();
    if (!this.loaded) {
      const stored = await loadDevices(pool);
      // Devices seen since start (before the load finished) stay as observed.
      this.registry.load(stored.filter((d) => !this.registry.get(d.deviceId)));
      this.loaded = true;
      this.emit('loaded', this.registry.size);
      this.emitAll(this.registry.sweep(this.now()));
    }
    this.timers.push(
      setInterval(() => this.emitAll(this.registry.sweep(this.now())), this.options.sweepIntervalMs ?? 5000),
      setInterval(() => void this.save(), this.options.saveIntervalMs ?? 2000),
      setInterval(() => this.expireCommands(), 500),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.save();
  }

  /** The hot path: readings from the parser. */
  observeReadings(readings: readonly Reading[], profile?: ProfileName): void {
    const now = this.now();
    for (const r of readings) {
      const events = this.registry.observeReading(r, now, profile);
      if (events.length > 0) this.emitAll(events);
      if (this.commands.size > 0) {
        const confirmed = this.commands.observe(r, now);
        if (confirmed) this.commandChanged(confirmed);
      }
    }
    // The automation service (lib/automation) follows readings here: after the registry has them.
    if (this.listenerCount('readings') > 0) this.emit('readings', readings);
  }

  /** Availability, discovery and deletion events from the parser's third output. */
  observeDeviceEvents(events: readonly DeviceEvent[]): void {
    const now = this.now();
    for (const e of events) {
      if (e.kind === 'availability') {
        this.emitAll(this.registry.observeAvailability(e, e.state, e.native, now));
      } else if (e.kind === 'device') {
        this.announcedClasses.observe(e);
        if (!this.registry.get(e.deviceId)) this.emitAll(this.registry.observeAvailability(e, 'other', 'discovered', now));
        const patch: Partial<DeviceMeta> = {};
        if (e.model) patch.model = e.model;
        if (e.manufacturer) patch.manufacturer = e.manufacturer;
        if (e.firmware) patch.firmware = e.firmware;
        const d = this.registry.get(e.deviceId);
        if (e.name && !d?.meta.name) patch.name = e.name;
        const ev = this.registry.updateMeta(e.deviceId, patch, now);
        if (ev) this.emitAll([ev]);
      } else if (e.kind === 'deletion' && !e.entity) {
        this.announcedClasses.forgetDevice(e.deviceId);
        const ev = this.registry.remove(e.deviceId, now, e.reason);
        if (ev) this.emitAll([ev]);
      }
    }
  }

  /** Validates and applies a metadata change from an operator. */
  updateMeta(deviceId: string, patch: Record<string, unknown>): { ok: true; event?: RegistryEvent } | { ok: false; status: 400 | 404; error: string } {
    if (!this.registry.get(deviceId)) return { ok: false, status: 404, error: 'unknown device' };
    const problem = metaProblem(patch);
    if (problem) return { ok: false, status: 400, error: problem };
    const event = this.registry.updateMeta(deviceId, patch as Partial<DeviceMeta>, this.now());
    if (event) this.emitAll([event]);
    return { ok: true, event };
  }

  forget(deviceId: string): boolean {
    const event = this.registry.remove(deviceId, this.now());
    if (event) this.emitAll([event]);
    return event !== undefined;
  }

  /** Validates, publishes (QoS 1) and tracks a command; stores it with its outcome. */
  async sendCommand(req: { deviceId: string; attribute: string; value: unknown; requestedBy: string; timeoutMs?: number }): Promise<CommandResult> {
    const device = this.registry.get(req.deviceId);
    const checked = validateCommand(device, req.attribute, req.value);
    if (!checked.ok) return checked;
    if (!device) return { ok: false, status: 404, error: 'unknown device' };
    const { topic, payload } = commandMessage(device, req.attribute, checked.value);
    const now = this.now();
    const cmd: TrackedCommand = {
      id: randomUUID(),
      deviceId: device.deviceId,
      attribute: req.attribute,
      value: checked.value,
      topic,
      payload,
      requestedBy: req.requestedBy,
      requestedAt: now,
      status: 'pending',
      statusAt: now,
      timeoutAt: now + (req.timeoutMs ?? this.options.commandTimeoutMs ?? 10000),
    };
    try {
      await this.options.publish(topic, payload);
    } catch (err) {
      cmd.status = 'failed';
      cmd.detail = `not published: ${(err as Error).message}`;
      this.commandChanged(cmd);
      return { ok: false, status: 502, error: cmd.detail };
    }
    const superseded = this.commands.track(cmd);
    if (superseded) this.commandChanged(superseded);
    this.commandChanged(cmd);
    return { ok: true, command: cmd };
  }

  async commandById(id: string): Promise<TrackedCommand | undefined> {
    const pool = await this.options.database();
    await this.save();
    const res = await pool.query('select * from commands where id = $1', [id]);
    return res.rows[0] ? rowToCommand(res.rows[0]) : undefined;
  }

  async commandHistory(deviceId: string, limit = 50, offset = 0): Promise<TrackedCommand[]> {
    const pool = await this.options.database();
    await this.save();
    const res = await pool.query('select * from commands where device_id = $1 order by requested_at desc limit $2 offset $3', [deviceId, limit, offset]);
    return res.rows.map(rowToCommand);
  }

  /** The service's database, for readers of the tables it shares (the REST API's readings and paging counts). */
  database(): Promise<Pool> {
    return this.options.database();
  }

  /** Writes changed devices and command outcomes. Serialised: one save at a time. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const { changed, removed } = this.registry.takeDirty();
      const commands = this.commandWrites;
      this.commandWrites = [];
      const classes = this.announcedClasses.take();
      if (changed.length === 0 && removed.length === 0 && commands.length === 0 && classes.length === 0) return;
      try {
        const pool = await this.options.database();
        await saveDevices(pool, changed, removed);
        if (commands.length > 0) await saveCommands(pool, commands);
        await saveDeviceClasses(pool, classes);
        this.announcedClasses.markWritten(classes);
        this.lastSaveError = '';
      } catch (err) {
        // Keep what could not be written for the next round: the model is the source of truth.
        this.registry.requeueDirty(changed.map((d) => d.deviceId), removed);
        this.commandWrites.unshift(...commands);
        this.announcedClasses.requeue(classes);
        this.lastSaveError = (err as Error).message;
        this.emit('save-error', err);
      }
    });
    return this.saving;
  }

  private expireCommands(): void {
    for (const cmd of this.commands.expire(this.now())) this.commandChanged(cmd);
  }

  private commandChanged(cmd: TrackedCommand): void {
    this.commandWrites.push({ ...cmd });
    this.emit('command', cmd);
  }

  private emitAll(events: readonly RegistryEvent[]): void {
    for (const e of events) this.emit('event', e);
  }
}

function metaProblem(patch: Record<string, unknown>): string | undefined {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'metadata must be a JSON object';
  for (const [k, v] of Object.entries(patch)) {
    if (!META_KEYS.has(k as keyof DeviceMeta)) return `unknown metadata field "${k}" (allowed: ${[...META_KEYS].join(', ')})`;
    if (v === null) continue;
    if (k === 'expectedIntervalMs') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1000 || v > 7 * 86_400_000) return 'expectedIntervalMs must be a whole number of ms from 1000 to 604800000';
    } else if (k === 'controls') {
      if (typeof v !== 'object' || Array.isArray(v)) return 'controls must be an object of attribute → {kind, min, max, step}';
      for (const [name, spec] of Object.entries(v as object)) {
        const p = controlProblem(name, spec);
        if (p) return p;
      }
    } else if (typeof v !== 'string' || v.length > 200) {
      return `${k} must be text of at most 200 characters`;
    }
  }
  return undefined;
}

async function saveCommands(pool: Pool, commands: readonly TrackedCommand[]): Promise<void> {
  // Several status changes of one command in a batch: the last one wins.
  const latest = new Map<string, TrackedCommand>();
  for (const c of commands) latest.set(c.id, c);
  const rows = [...latest.values()];
  await pool.query(
    `insert into commands (id, device_id, attribute, value, topic, payload, requested_by, requested_at, status, status_at, detail)
     select i::uuid, d, a, v, t, p, b, to_timestamp(ra / 1000.0), s, to_timestamp(sa / 1000.0), x
     from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::text[], $10::float8[], $11::text[])
          as u(i, d, a, v, t, p, b, ra, s, sa, x)
     on conflict (id) do update set status = excluded.status, status_at = excluded.status_at, detail = excluded.detail`,
    [
      rows.map((c) => c.id),
      rows.map((c) => c.deviceId),
      rows.map((c) => c.attribute),
      rows.map((c) => JSON.stringify(c.value)),
      rows.map((c) => c.topic),
      rows.map((c) => c.payload),
      rows.map((c) => c.requestedBy),
      rows.map((c) => c.requestedAt),
      rows.map((c) => c.status),
      rows.map((c) => c.statusAt),
      rows.map((c) => c.detail ?? null),
    ],
  );
}

function rowToCommand(r: Record<string, unknown>): TrackedCommand {
  return {
    id: String(r.id),
    deviceId: String(r.device_id),
    attribute: String(r.attribute),
    value: r.value as TrackedCommand['value'],
    topic: String(r.topic),
    payload: String(r.payload),
    requestedBy: String(r.requested_by),
    requestedAt: (r.requested_at as Date).getTime(),
    status: r.status as TrackedCommand['status'],
    statusAt: (r.status_at as Date).getTime(),
    detail: (r.detail as string | null) ?? undefined,
    timeoutAt: 0,
  };
}
