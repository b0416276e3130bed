import { Client, type Pool, type PoolClient } from 'pg';
import type { ReadingValue } from '../model/reading';
import type { Alert, AlertState, DirtyState, EngineSnapshot, PendingKey, PendingRecord, TransitionType } from './alert-engine';
import type { AlertRule, Severity } from './rules';

/**
 * Alert persistence (db/003_alerts.sql): open alerts and pending-duration state loaded at start,
 * changes written in batches, history queried with filters. Every statement is parameterized;
 * rows travel as one JSON parameter (jsonb_to_recordset), so a batch is one statement per table.
 */

/** Filters of the history query; every one optional. */
export interface AlertFilters {
  site?: string;
  /** Only these sites (the ones the caller may see); an empty list matches nothing. */
  sites?: readonly string[];
  /** A deviceId or a device's own id. */
  device?: string;
  attribute?: string;
  ruleId?: string;
  severity?: Severity[];
  state?: AlertState[];
  /** Alerts open at some moment within [from, to] (epoch ms). */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
}

export interface AlertEvent {
  alertId: string;
  type: TransitionType;
  at: number;
  severity: Severity;
  state: AlertState;
  by?: string;
  note?: string;
  value: ReadingValue | null;
  message: string;
}

export async function loadAlertState(pool: Pool): Promise<EngineSnapshot> {
  const alerts = await pool.query(`select * from alerts where state <> 'cleared' order by raised_at`);
  const pending = await pool.query<{ state: PendingRecord }>('select state from alert_pending');
  return { alerts: alerts.rows.map(rowToAlert), pending: pending.rows.map((r) => r.state) };
}

/** Work done in the same transaction as the transitions it is given (each with its alert_events id): notifications. */
export type AlertSaveHook = (client: Pick<PoolClient, 'query'>, saved: { eventId: string; transition: DirtyState['events'][number] }[]) => Promise<void>;

/**
 * Writes one batch in a transaction. Cleared alerts go first so that a new alert of the same
 * (rule, device, attribute) never meets its predecessor still open in the unique index; pending
 * removals precede upserts (a key can be dropped and created again within a batch).
 */
export async function saveAlertState(pool: Pool, batch: DirtyState, hook?: AlertSaveHook): Promise<void> {
  const { client, release } = await connectForWrite(pool);
  try {
    await client.query('begin');
    const latest = new Map<string, Alert>();
    for (const a of batch.alerts) latest.set(a.id, a);
    const all = [...latest.values()];
    await upsertAlerts(client, all.filter((a) => a.state === 'cleared'));
    await upsertAlerts(client, all.filter((a) => a.state !== 'cleared'));
    if (batch.events.length > 0) {
      // Ids taken first, so that each transition knows its row (the notifications' key).
      const ids = (await client.query<{ id: string }>(`select nextval('alert_events_id_seq')::text as id from generate_series(1, $1::int)`, [batch.events.length])).rows.map((r) => r.id);
      await client.query(
        `insert into alert_events (id, alert_id, type, at, severity, state, by, note, value, message)
         select id, alert_id, type, to_timestamp(at / 1000.0), severity, state, by, note, value, message
         from jsonb_to_recordset($1::jsonb) as x(id bigint, alert_id text, type text, at float8, severity text, state text, by text, note text, value jsonb, message text)`,
        [
          JSON.stringify(
            batch.events.map((t, i) => ({
              id: ids[i],
              alert_id: t.alert.id,
              type: t.type,
              at: t.at,
              severity: t.alert.severity,
              state: t.alert.state,
              by: t.by ?? null,
              note: t.note ?? null,
              value: t.alert.value,
              message: t.alert.message,
            })),
          ),
        ],
      );
      if (hook) await hook(client, batch.events.map((transition, i) => ({ eventId: ids[i], transition })));
    }
    if (batch.removedPending.length > 0) {
      await client.query(
        `delete from alert_pending p using jsonb_to_recordset($1::jsonb) as k(rule_id text, device_id text, attribute text)
         where p.rule_id = k.rule_id and p.device_id = k.device_id and p.attribute = k.attribute`,
        [JSON.stringify(batch.removedPending.map(keyRow))],
      );
    }
    if (batch.pending.length > 0) {
      const byKey = new Map<string, PendingRecord>();
      for (const p of batch.pending) byKey.set(`${p.ruleId}\u0000${p.deviceId}\u0000${p.attribute}`, p);
      await client.query(
        `insert into alert_pending (rule_id, device_id, attribute, state, updated_at)
         select rule_id, device_id, attribute, state, now()
         from jsonb_to_recordset($1::jsonb) as x(rule_id text, device_id text, attribute text, state jsonb)
         on conflict (rule_id, device_id, attribute) do update set state = excluded.state, updated_at = excluded.updated_at`,
        [JSON.stringify([...byKey.values()].map((p) => ({ ...keyRow(p), state: p })))],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await release();
  }
}

/**
 * A connection for a write. On redeploy and shutdown Node-RED closes the database config node
 * beside the alert node, so the pool may already be ending when the last batch goes out: that
 * batch gets a connection of its own rather than being lost.
 */
async function connectForWrite(pool: Pool): Promise<{ client: Pick<PoolClient, 'query'>; release: () => Promise<void> }> {
  if (!pool.ending) {
    const client = await pool.connect();
    return { client, release: async () => client.release() };
  }
  const client = new Client({ ...pool.options, connectionTimeoutMillis: 5000 });
  // A dropped connection must fail the write, not crash the runtime with an unheard 'error'.
  client.on('error', () => undefined);
  await client.connect();
  return { client, release: () => client.end().catch(() => undefined) };
}

function keyRow(k: PendingKey): { rule_id: string; device_id: string; attribute: string } {
  return { rule_id: k.ruleId, device_id: k.deviceId, attribute: k.attribute };
}

async function upsertAlerts(client: Pick<PoolClient, 'query'>, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  await client.query(
    `insert into alerts (id, rule_id, rule_name, condition, device_id, site, room, device, attribute, severity, state, cause, message,
                         value, unit, threshold, min, max, raised_at, updated_at, notified_at, repeats,
                         acknowledged_by, acknowledged_at, acknowledge_note, cleared_at, cleared_by, clear_reason)
     select id, rule_id, rule_name, condition, device_id, site, room, device, attribute, severity, state, cause, message,
            value, unit, threshold, min, max, to_timestamp(raised_at / 1000.0), to_timestamp(updated_at / 1000.0),
            to_timestamp(notified_at / 1000.0), repeats, acknowledged_by, to_timestamp(acknowledged_at / 1000.0), acknowledge_note,
            to_timestamp(cleared_at / 1000.0), cleared_by, clear_reason
     from jsonb_to_recordset($1::jsonb) as x(id text, rule_id text, rule_name text, condition text, device_id text, site text, room text,
            device text, attribute text, severity text, state text, cause text, message text, value jsonb, unit text, threshold float8,
            min float8, max float8, raised_at float8, updated_at float8, notified_at float8, repeats integer, acknowledged_by text,
            acknowledged_at float8, acknowledge_note text, cleared_at float8, cleared_by text, clear_reason text)
     on conflict (id) do update set
       severity = excluded.severity, state = excluded.state, message = excluded.message, value = excluded.value, unit = excluded.unit,
       threshold = excluded.threshold, min = excluded.min, max = excluded.max, updated_at = excluded.updated_at,
       notified_at = excluded.notified_at, repeats = excluded.repeats, acknowledged_by = excluded.acknowledged_by,
       acknowledged_at = excluded.acknowledged_at, acknowledge_note = excluded.acknowledge_note, cleared_at = excluded.cleared_at,
       cleared_by = excluded.cleared_by, clear_reason = excluded.clear_reason`,
    [
      JSON.stringify(
        alerts.map((a) => ({
          id: a.id,
          rule_id: a.ruleId,
          rule_name: a.ruleName,
          condition: a.condition,
          device_id: a.deviceId,
          site: a.site,
          room: a.room,
          device: a.device,
          attribute: a.attribute,
          severity: a.severity,
          state: a.state,
          cause: a.cause,
          message: a.message,
          value: a.value,
          unit: a.unit ?? null,
          threshold: a.threshold ?? null,
          min: a.min ?? null,
          max: a.max ?? null,
          raised_at: a.raisedAt,
          updated_at: a.updatedAt,
          notified_at: a.notifiedAt,
          repeats: a.repeats,
          acknowledged_by: a.acknowledgedBy ?? null,
          acknowledged_at: a.acknowledgedAt ?? null,
          acknowledge_note: a.acknowledgeNote ?? null,
          cleared_at: a.clearedAt ?? null,
          cleared_by: a.clearedBy ?? null,
          clear_reason: a.clearReason ?? null,
        })),
      ),
    ],
  );
}

/** Alerts matching the filters, newest first, with the total matching count for paging. */
export async function queryAlerts(pool: Pool, f: AlertFilters): Promise<{ alerts: Alert[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.site !== undefined) where.push(`site = ${p(f.site)}`);
  if (f.sites !== undefined) where.push(`site = any(${p(f.sites)}::text[])`);
  if (f.device !== undefined) {
    const d = p(f.device);
    where.push(`(device_id = ${d} or device = ${d})`);
  }
  if (f.attribute !== undefined) where.push(`attribute = ${p(f.attribute)}`);
  if (f.ruleId !== undefined) where.push(`rule_id = ${p(f.ruleId)}`);
  if (f.severity && f.severity.length > 0) where.push(`severity = any(${p(f.severity)}::text[])`);
  if (f.state && f.state.length > 0) where.push(`state = any(${p(f.state)}::text[])`);
  if (f.to !== undefined) where.push(`raised_at <= to_timestamp(${p(f.to)}::float8 / 1000.0)`);
  if (f.from !== undefined) where.push(`(cleared_at is null or cleared_at >= to_timestamp(${p(f.from)}::float8 / 1000.0))`);
  const limit = p(Math.min(Math.max(f.limit ?? 100, 1), 1000));
  const offset = p(Math.max(f.offset ?? 0, 0));
  const res = await pool.query(
    `select *, count(*) over () as total from alerts ${where.length ? `where ${where.join(' and ')}` : ''}
     order by raised_at desc, id limit ${limit} offset ${offset}`,
    params,
  );
  let total = res.rows.length > 0 ? Number(res.rows[0].total) : 0;
  if (res.rows.length === 0 && (f.offset ?? 0) > 0) {
    // Past the last page: the window count is not there to read, ask for it.
    const c = await pool.query(`select count(*)::int as n from alerts ${where.length ? `where ${where.join(' and ')}` : ''}`, params.slice(0, -2));
    total = c.rows[0].n as number;
  }
  return { alerts: res.rows.map(rowToAlert), total };
}

export async function loadAlert(pool: Pool, id: string): Promise<Alert | undefined> {
  const res = await pool.query('select * from alerts where id = $1', [id]);
  return res.rows[0] ? rowToAlert(res.rows[0]) : undefined;
}

/** The transitions of one alert, oldest first. */
export async function loadAlertEvents(pool: Pool, alertId: string): Promise<AlertEvent[]> {
  const res = await pool.query('select * from alert_events where alert_id = $1 order by at, id', [alertId]);
  return res.rows.map((r: Record<string, unknown>) => {
    const e: AlertEvent = {
      alertId: String(r.alert_id),
      type: r.type as TransitionType,
      at: (r.at as Date).getTime(),
      severity: r.severity as Severity,
      state: r.state as AlertState,
      value: (r.value as ReadingValue | null) ?? null,
      message: String(r.message),
    };
    if (r.by !== null) e.by = String(r.by);
    if (r.note !== null) e.note = String(r.note);
    return e;
  });
}

/** Rules a flow set by message for this node, if any. */
export async function loadStoredRules(pool: Pool, nodeId: string): Promise<{ rules: unknown; editorHash: string } | undefined> {
  const res = await pool.query('select rules, editor_hash from alert_rules where node_id = $1', [nodeId]);
  return res.rows[0] ? { rules: res.rows[0].rules, editorHash: String(res.rows[0].editor_hash) } : undefined;
}

export async function saveStoredRules(pool: Pool, nodeId: string, rules: readonly AlertRule[] | undefined, editorHash: string): Promise<void> {
  const { client, release } = await connectForWrite(pool);
  try {
    if (rules === undefined) {
      await client.query('delete from alert_rules where node_id = $1', [nodeId]);
      return;
    }
    await client.query(
      `insert into alert_rules (node_id, rules, editor_hash, updated_at) values ($1, $2::jsonb, $3, now())
       on conflict (node_id) do update set rules = excluded.rules, editor_hash = excluded.editor_hash, updated_at = now()`,
      [nodeId, JSON.stringify(rules), editorHash],
    );
  } finally {
    await release();
  }
}

function ms(v: unknown): number | undefined {
  return v instanceof Date ? v.getTime() : undefined;
}

export function rowToAlert(r: Record<string, unknown>): Alert {
  const a: Alert = {
    id: String(r.id),
    ruleId: String(r.rule_id),
    ruleName: String(r.rule_name),
    condition: r.condition as Alert['condition'],
    deviceId: String(r.device_id),
    site: String(r.site),
    room: String(r.room),
    device: String(r.device),
    attribute: String(r.attribute),
    severity: r.severity as Severity,
    state: r.state as AlertState,
    cause: r.cause as Alert['cause'],
    message: String(r.message),
    value: (r.value as ReadingValue | null) ?? null,
    raisedAt: ms(r.raised_at) ?? 0,
    updatedAt: ms(r.updated_at) ?? 0,
    notifiedAt: ms(r.notified_at) ?? 0,
    repeats: Number(r.repeats),
  };
  if (r.unit !== null) a.unit = String(r.unit);
  if (r.threshold !== null) a.threshold = Number(r.threshold);
  if (r.min !== null) a.min = Number(r.min);
  if (r.max !== null) a.max = Number(r.max);
  if (r.acknowledged_by !== null) a.acknowledgedBy = String(r.acknowledged_by);
  if (r.acknowledged_at !== null) a.acknowledgedAt = ms(r.acknowledged_at);
  if (r.acknowledge_note !== null) a.acknowledgeNote = String(r.acknowledge_note);
  if (r.cleared_at !== null) a.clearedAt = ms(r.cleared_at);
  if (r.cleared_by !== null) a.clearedBy = String(r.cleared_by);
  if (r.clear_reason !== null) a.clearReason = String(r.clear_reason);
  return a;
}
