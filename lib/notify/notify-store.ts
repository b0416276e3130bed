import type { Pool } from 'pg';
import type { SecretBox } from './secret-box';
import type { Channel, ChannelConfig, ChannelKind, NotifySeverity, OpenChannel } from './notify-types';

/**
 * What people set (db/009_notify.sql): their channels (secrets sealed, never read back out but by
 * the dispatcher), their preferences per site, each site's escalation chain, and the in-app
 * notification centre. Every statement is parameterized and scoped to the user it is given.
 */
export interface Preferences {
  site: string;
  minSeverity: NotifySeverity;
  channelIds: number[];
  inapp: boolean;
  /** "22:00-07:00" in the site's time zone, or null. */
  quietHours: string | null;
  criticalBreaksThrough: boolean;
}

export interface EscalationStep {
  step: number;
  delayMin: number;
  userId?: number;
  role?: 'owner' | 'resident' | 'viewer' | 'operator';
}

export interface InboxItem {
  id: number;
  site: string;
  alertId: string | null;
  severity: NotifySeverity;
  title: string;
  body: string;
  at: string;
  read: boolean;
}

const MAX_CHANNELS_PER_USER = 20;

function rowToChannel(r: Record<string, unknown>): Channel {
  return {
    id: Number(r.id),
    userId: Number(r.user_id),
    kind: r.kind as ChannelKind,
    name: String(r.name),
    config: r.config as ChannelConfig,
    enabled: r.enabled === true,
    hasSecret: r.secret !== null,
  };
}

export async function listChannels(pool: Pool, userId: number): Promise<Channel[]> {
  const res = await pool.query('select id, user_id, kind, name, config, enabled, secret is not null as secret from notify_channels where user_id = $1 order by id', [userId]);
  return res.rows.map((r: Record<string, unknown>) => rowToChannel({ ...r, secret: r.secret ? true : null }));
}

export async function createChannel(
  pool: Pool,
  box: SecretBox,
  userId: number,
  c: { kind: ChannelKind; name: string; config: ChannelConfig; secret?: string; enabled?: boolean },
): Promise<Channel | 'too-many'> {
  const sealed = c.secret ? box.seal(c.secret, userId) : null;
  const res = await pool.query(
    `insert into notify_channels (user_id, kind, name, config, secret, enabled)
     select $1, $2, $3, $4::jsonb, $5, $6 where (select count(*) from notify_channels where user_id = $1) < $7
     returning id, user_id, kind, name, config, enabled, secret is not null as secret`,
    [userId, c.kind, c.name, JSON.stringify(c.config), sealed, c.enabled ?? true, MAX_CHANNELS_PER_USER],
  );
  return res.rows[0] ? rowToChannel({ ...res.rows[0], secret: res.rows[0].secret ? true : null }) : 'too-many';
}

export async function deleteChannel(pool: Pool, userId: number, id: number): Promise<boolean> {
  const res = await pool.query('delete from notify_channels where id = $1 and user_id = $2', [id, userId]);
  return (res.rowCount ?? 0) > 0;
}

/** Channels with their secrets opened: for the dispatcher only, never for an answer. */
export async function loadOpenChannels(pool: Pool, box: SecretBox, ids: number[]): Promise<Map<number, OpenChannel>> {
  const out = new Map<number, OpenChannel>();
  if (ids.length === 0) return out;
  const res = await pool.query<{ secret: Buffer | null } & Record<string, unknown>>('select * from notify_channels where id = any($1::bigint[])', [ids]);
  for (const r of res.rows) {
    const c: OpenChannel = rowToChannel(r);
    if (r.secret) c.secret = box.open(r.secret, c.userId);
    out.set(c.id, c);
  }
  return out;
}

function minutes(m: number | null): string {
  return m === null ? '' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export async function listPreferences(pool: Pool, userId: number): Promise<Preferences[]> {
  const res = await pool.query('select * from notify_preferences where user_id = $1 order by site', [userId]);
  return res.rows.map((r: Record<string, unknown>) => ({
    site: String(r.site),
    minSeverity: r.min_severity as NotifySeverity,
    channelIds: (r.channel_ids as string[]).map(Number),
    inapp: r.inapp === true,
    quietHours: r.quiet_start_min === null ? null : `${minutes(r.quiet_start_min as number)}-${minutes(r.quiet_end_min as number)}`,
    criticalBreaksThrough: r.critical_breaks === true,
  }));
}

/** Saves the preferences; channel ids that are not the user's own are refused (false). */
export async function savePreferences(
  pool: Pool,
  userId: number,
  p: { site: string; minSeverity: NotifySeverity; channelIds: number[]; inapp: boolean; quiet?: { startMin: number; endMin: number }; criticalBreaksThrough: boolean },
): Promise<boolean> {
  const res = await pool.query(
    `insert into notify_preferences (user_id, site, min_severity, channel_ids, inapp, quiet_start_min, quiet_end_min, critical_breaks, updated_at)
     select $1, $2, $3, $4::bigint[], $5, $6, $7, $8, now()
      where (select count(*) from notify_channels where user_id = $1 and id = any($4::bigint[])) = cardinality($4::bigint[])
     on conflict (user_id, site) do update set min_severity = excluded.min_severity, channel_ids = excluded.channel_ids, inapp = excluded.inapp,
       quiet_start_min = excluded.quiet_start_min, quiet_end_min = excluded.quiet_end_min, critical_breaks = excluded.critical_breaks, updated_at = now()`,
    [userId, p.site, p.minSeverity, [...new Set(p.channelIds)], p.inapp, p.quiet?.startMin ?? null, p.quiet?.endMin ?? null, p.criticalBreaksThrough],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function loadEscalation(pool: Pool, site: string): Promise<EscalationStep[]> {
  const res = await pool.query('select step, delay_min, user_id, role from notify_escalation where site = $1 order by step', [site]);
  return res.rows.map((r: Record<string, unknown>) => {
    const s: EscalationStep = { step: Number(r.step), delayMin: Number(r.delay_min) };
    if (r.user_id !== null) s.userId = Number(r.user_id);
    if (r.role !== null) s.role = r.role as EscalationStep['role'];
    return s;
  });
}

/** Replaces a site's chain (steps numbered in order from 1). */
export async function saveEscalation(pool: Pool, site: string, steps: Omit<EscalationStep, 'step'>[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('delete from notify_escalation where site = $1', [site]);
    if (steps.length > 0) {
      await client.query(
        `insert into notify_escalation (site, step, delay_min, user_id, role)
         select $1, n, delay_min, user_id, role from jsonb_to_recordset($2::jsonb) as x(n int, delay_min int, user_id bigint, role text)`,
        [site, JSON.stringify(steps.map((s, i) => ({ n: i + 1, delay_min: s.delayMin, user_id: s.userId ?? null, role: s.role ?? null })))],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The notification centre: the user's in-app notifications that went out, newest first, and the unread count. */
export async function inbox(pool: Pool, userId: number, limit = 50): Promise<{ items: InboxItem[]; unread: number }> {
  // One statement: the list and the count from the same snapshot.
  const res = await pool.query(
    `with mine as (select id, site, alert_id, severity, title, body, sent_at, read_at from notify_outbox
                    where user_id = $1 and channel_key = 'inapp' and state = 'sent')
     select u.n as unread, m.* from (select count(*)::int as n from mine where read_at is null) u
       left join lateral (select * from mine order by sent_at desc, id desc limit $2) m on true`,
    [userId, limit],
  );
  return {
    items: res.rows
      .filter((r: Record<string, unknown>) => r.id !== null)
      .map((r: Record<string, unknown>) => ({
        id: Number(r.id),
        site: String(r.site),
        alertId: r.alert_id === null ? null : String(r.alert_id),
        severity: r.severity as NotifySeverity,
        title: String(r.title),
        body: String(r.body),
        at: (r.sent_at as Date).toISOString(),
        read: r.read_at !== null,
      })),
    unread: res.rows[0]?.unread ?? 0,
  };
}

export async function unreadCount(pool: Pool, userId: number): Promise<number> {
  const res = await pool.query(`select count(*)::int as n from notify_outbox where user_id = $1 and channel_key = 'inapp' and state = 'sent' and read_at is null`, [userId]);
  return res.rows[0].n as number;
}

/** Marks the user's in-app notifications read (these ids, or all); the new unread count. */
export async function markRead(pool: Pool, userId: number, ids: number[] | undefined): Promise<number> {
  await pool.query(
    `update notify_outbox set read_at = now() where user_id = $1 and channel_key = 'inapp' and read_at is null and ($2::bigint[] is null or id = any($2::bigint[]))`,
    [userId, ids ?? null],
  );
  return unreadCount(pool, userId);
}

/** Notifications given up on, newest first, of these sites (undefined: all). */
export async function failedNotifications(pool: Pool, sites: string[] | undefined, limit = 100): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const res = await pool.query(
    `select o.id, o.site, o.alert_id, o.severity, o.title, o.attempts, o.last_error, o.created_at, u.username, coalesce(c.kind, 'inapp') as channel, count(*) over () as total
       from notify_outbox o join auth_users u on u.id = o.user_id left join notify_channels c on c.id = o.channel_id
      where o.state = 'failed' and ($1::text[] is null or o.site = any($1::text[]))
      order by o.created_at desc, o.id desc limit $2`,
    [sites ?? null, limit],
  );
  return {
    total: res.rows[0] ? Number(res.rows[0].total) : 0,
    items: res.rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      site: r.site,
      alertId: r.alert_id,
      severity: r.severity,
      title: r.title,
      attempts: r.attempts,
      error: r.last_error,
      createdAt: (r.created_at as Date).toISOString(),
      username: r.username,
      channel: r.channel,
    })),
  };
}

/** Outbox counts by state (for /metrics). */
export async function outboxCounts(pool: Pool): Promise<Record<string, number>> {
  const res = await pool.query<{ state: string; n: number }>('select state, count(*)::int as n from notify_outbox group by state');
  const out: Record<string, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
  for (const r of res.rows) out[r.state] = r.n;
  return out;
}

/**
 * Forgets what is done with: sent and failed notifications older than `keepMs` (the notification
 * centre shows the latest anyway), and acknowledge links expired a day ago. Rows still pending or
 * sending are never touched.
 */
export async function pruneNotifications(pool: Pool, now: number, keepMs = 30 * 86_400_000): Promise<{ notifications: number; links: number }> {
  const n = await pool.query(`delete from notify_outbox where state in ('sent', 'failed') and created_at < to_timestamp(($1::float8 - $2) / 1000.0)`, [now, keepMs]);
  const l = await pool.query(`delete from notify_ack_links where expires_at < to_timestamp(($1::float8 - 86400000) / 1000.0)`, [now]);
  return { notifications: n.rowCount ?? 0, links: l.rowCount ?? 0 };
}
