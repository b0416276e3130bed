import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { LocalClock } from '../alerts/quiet-hours';
import { ackLinkToken } from './ack-links';
import { escalateDue } from './escalator';
import type { SecretBox } from './secret-box';
import { loadOpenChannels, pruneNotifications } from './notify-store';
import type { Sender } from './senders';
import { severityRank, type MessageItem, type NotifySeverity, type OpenChannel, type OutgoingMessage } from './notify-types';

/**
 * Sends what the outbox holds (db/009_notify.sql), from any number of instances at once.
 *
 *  1. claim: one transaction takes due rows with FOR UPDATE SKIP LOCKED (another instance skips
 *     them), counts the attempt and leases them (state `sending`, due again when the lease ends);
 *  2. per recipient and channel the claimed rows become one message (several: a digest listing
 *     `digestItems` and "N more"); its idempotency key (`message_key`) is written before sending
 *     and kept, so every later attempt of it, by any instance, carries the same key;
 *  3. send; 4. mark `sent`, or back to `pending` with exponential backoff, or `failed` after
 *     `maxAttempts`.
 *
 * A crash between 1 and 4 leaves the rows leased; when the lease ends they are claimed again and
 * resent with the same key: at least once on the wire, once at a receiver that keys on it.
 * Quiet hours (the recipient's, in the site's time zone) hold a non-critical row until they end;
 * a recipient gets at most `ratePerWindow` messages per `windowMs` on a channel, the rest wait
 * and go as one digest.
 */
export interface DispatcherOptions {
  database: () => Promise<Pool>;
  senders: Record<'email' | 'webhook' | 'telegram', Sender>;
  box: SecretBox;
  now?: () => number;
  /** Who claims (for the logs and tests); default host:pid. */
  instance?: string;
  /** Where acknowledge links point: the app's public address (OCTOPUS_PUBLIC_URL). */
  publicUrl?: string;
  /** The API's path under it (default /api/v1). */
  apiPath?: string;
  intervalMs?: number;
  batchSize?: number;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  ratePerWindow?: number;
  windowMs?: number;
  digestItems?: number;
  ackLinkTtlMs?: number;
  /** Sent and failed notifications are forgotten after this long (default 30 days), checked hourly. */
  keepMs?: number;
}

interface Row {
  id: string;
  source: string;
  alert_id: string | null;
  site: string;
  user_id: string;
  channel_id: string | null;
  channel_key: string;
  severity: NotifySeverity;
  title: string;
  body: string;
  attempts: number;
  message_key: string | null;
}

export interface DispatchStats {
  sent: number;
  failed: number;
  retried: number;
  held: number;
}

const MINUTE_MS = 60_000;

export class Dispatcher extends EventEmitter {
  readonly now: () => number;
  readonly instance: string;
  readonly stats: DispatchStats = { sent: 0, failed: 0, retried: 0, held: 0 };
  lastError = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly clocks = new Map<string, LocalClock>();
  private prunedAt = 0;

  constructor(private readonly o: DispatcherOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.instance = o.instance ?? `${hostname()}:${process.pid}`;
  }

  start(): void {
    this.stopped = false;
    if (!this.timer) this.timer = setInterval(() => this.kick(), this.o.intervalMs ?? 1000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a round now (or right after the one running): new rows need not wait for the timer. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((err: Error) => {
        this.lastError = err.message;
        this.emit('error-line', `notifications: ${err.message}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Escalates what is due, then sends until nothing due is left. Resolves when done (tests await it). */
  async round(): Promise<void> {
    const pool = await this.o.database();
    if (this.now() - this.prunedAt >= 3_600_000) {
      this.prunedAt = this.now();
      await pruneNotifications(pool, this.now(), this.o.keepMs);
    }
    await escalateDue(pool, this.now());
    for (let i = 0; i < 1000 && !this.stopped; i++) {
      const rows = await this.claim(pool);
      if (rows.length === 0) break;
      await this.deliver(pool, rows);
    }
    this.lastError = '';
  }

  private async claim(pool: Pool): Promise<Row[]> {
    const now = this.now();
    const res = await pool.query<Row>(
      `with due as (
         select id from notify_outbox
          where state in ('pending', 'sending') and next_attempt_at <= to_timestamp($1::float8 / 1000.0)
          order by next_attempt_at, id limit $2 for update skip locked)
       update notify_outbox o
          set state = 'sending', attempts = o.attempts + 1, claimed_by = $3,
              claimed_until = to_timestamp(($1::float8 + $4) / 1000.0), next_attempt_at = to_timestamp(($1::float8 + $4) / 1000.0)
         from due where o.id = due.id
       returning o.id, o.source, o.alert_id, o.site, o.user_id, o.channel_id, o.channel_key, o.severity, o.title, o.body, o.attempts, o.message_key`,
      [now, this.o.batchSize ?? 200, this.instance, this.o.leaseMs ?? 60_000],
    );
    return res.rows;
  }

  private async deliver(pool: Pool, rows: Row[]): Promise<void> {
    const now = this.now();
    const sendable = await this.holdQuiet(pool, rows, now);
    // One message per recipient and channel (a reclaimed row keeps the message it was part of).
    const groups = new Map<string, Row[]>();
    for (const r of sendable) {
      const k = r.message_key ?? `${r.user_id}/${r.channel_key}`;
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const channels = await loadOpenChannels(pool, this.o.box, [...new Set(sendable.map((r) => r.channel_id).filter((c): c is string => c !== null))].map(Number));
    await Promise.all([...groups.values()].map((g) => this.sendGroup(pool, g, channels, now)));
  }

  /** Rows in their recipient's quiet hours (and not a critical allowed through) wait until the hours end. */
  private async holdQuiet(pool: Pool, rows: Row[], now: number): Promise<Row[]> {
    const res = await pool.query<{ user_id: string; site: string; quiet_start_min: number | null; quiet_end_min: number | null; critical_breaks: boolean; time_zone: string | null }>(
      `select p.user_id, p.site, p.quiet_start_min, p.quiet_end_min, p.critical_breaks, s.time_zone
         from notify_preferences p left join site_settings s on s.site = p.site
        where p.quiet_start_min is not null and (p.user_id, p.site) in (select * from unnest($1::bigint[], $2::text[]))`,
      [rows.map((r) => r.user_id), rows.map((r) => r.site)],
    );
    if (res.rows.length === 0) return rows;
    const prefs = new Map(res.rows.map((p) => [`${p.user_id}/${p.site}`, p]));
    const out: Row[] = [];
    const held: { id: string; until: number }[] = [];
    for (const r of rows) {
      const p = prefs.get(`${r.user_id}/${r.site}`);
      const q = p && p.quiet_end_min !== null && p.quiet_start_min !== null ? { startMin: p.quiet_start_min, endMin: p.quiet_end_min } : undefined;
      const clock = this.clock(p?.time_zone ?? 'UTC');
      if (!q || !clock.isQuiet(q, now) || (r.severity === 'critical' && p?.critical_breaks)) {
        out.push(r);
        continue;
      }
      // Minutes to the end of the quiet span, in the site's local time.
      const m = clock.minuteOfDay(now);
      const wait = (q.endMin - m + 1440) % 1440 || 1440;
      held.push({ id: r.id, until: now + wait * MINUTE_MS - (now % MINUTE_MS) });
    }
    if (held.length > 0) {
      this.stats.held += held.length;
      await pool.query(
        `update notify_outbox o set state = 'pending', attempts = o.attempts - 1, claimed_until = null, next_attempt_at = to_timestamp(h.until / 1000.0)
           from jsonb_to_recordset($1::jsonb) as h(id bigint, until float8) where o.id = h.id`,
        [JSON.stringify(held)],
      );
    }
    return out;
  }

  private clock(zone: string): LocalClock {
    let c = this.clocks.get(zone);
    if (!c) {
      try {
        c = new LocalClock(zone);
      } catch {
        c = new LocalClock('UTC');
      }
      this.clocks.set(zone, c);
    }
    return c;
  }

  private async sendGroup(pool: Pool, group: Row[], channels: Map<number, OpenChannel>, now: number): Promise<void> {
    const first = group[0];
    const windowMs = this.o.windowMs ?? 10 * MINUTE_MS;
    const rate = this.o.ratePerWindow ?? 5;
    let key = first.message_key;
    if (key === null) {
      // The recipient's budget on this channel: beyond it, the rows wait to go as one digest.
      const recent = await pool.query<{ n: number; oldest: Date | null }>(
        `select count(distinct message_key)::int as n, min(sent_at) as oldest from notify_outbox
          where user_id = $1 and channel_key = $2 and state = 'sent' and sent_at > to_timestamp(($3::float8 - $4) / 1000.0)`,
        [first.user_id, first.channel_key, now, windowMs],
      );
      const { n, oldest } = recent.rows[0];
      if (n >= rate && first.channel_key !== 'inapp' && !group.every((r) => r.severity === 'critical')) {
        const until = (oldest?.getTime() ?? now) + windowMs;
        // Waiting for the budget is not an attempt.
        await this.release(pool, group, `rate limit: ${n} messages in ${windowMs / MINUTE_MS} min`, until, false, true);
        this.stats.held += group.length;
        return;
      }
      key = `octopus-${first.id}-${first.user_id}-${first.channel_key}`;
      await pool.query('update notify_outbox set message_key = $1 where id = any($2::bigint[]) and message_key is null', [key, group.map((r) => r.id)]);
    }
    try {
      const message = await this.compose(pool, key, group, now);
      // In-app: "sending" is the row becoming visible in the notification centre (told once it is).
      let inapp = first.channel_key === 'inapp';
      if (!inapp) {
        const channel = channels.get(Number(first.channel_id));
        if (!channel || !channel.enabled) throw new Error('the channel was removed or disabled');
        if (channel.kind === 'inapp') inapp = true;
        else await this.o.senders[channel.kind](channel, message);
      }
      await pool.query(
        `update notify_outbox set state = 'sent', sent_at = to_timestamp($2::float8 / 1000.0), claimed_until = null, last_error = null where id = any($1::bigint[])`,
        [group.map((r) => r.id), this.now()],
      );
      this.stats.sent += group.length;
      if (inapp) this.emit('inapp', Number(first.user_id), message);
      this.emit('sent', message, group.length);
    } catch (err) {
      const attempts = Math.max(...group.map((r) => r.attempts));
      const failed = attempts >= (this.o.maxAttempts ?? 5);
      const backoff = (this.o.backoffMs ?? 5000) * 2 ** (attempts - 1) * (0.8 + Math.random() * 0.4);
      await this.release(pool, group, (err as Error).message.slice(0, 500), now + backoff, failed);
      if (failed) {
        this.stats.failed += group.length;
        this.emit('failed', group.length, (err as Error).message);
      } else this.stats.retried += group.length;
    }
  }

  private async release(pool: Pool, group: Row[], error: string, until: number, failed: boolean, uncount = false): Promise<void> {
    await pool.query(
      `update notify_outbox set state = $2, last_error = $3, claimed_until = null, next_attempt_at = to_timestamp($4::float8 / 1000.0),
              attempts = attempts - $5::int
        where id = any($1::bigint[])`,
      [group.map((r) => r.id), failed ? 'failed' : 'pending', error, until, uncount ? 1 : 0],
    );
  }

  /** The message: one notification, or a digest; alert items carry the recipient's acknowledge link. */
  private async compose(pool: Pool, key: string, group: Row[], now: number): Promise<OutgoingMessage> {
    const limit = this.o.digestItems ?? 5;
    const shown = [...group].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || Number(a.id) - Number(b.id)).slice(0, limit);
    const items: MessageItem[] = [];
    for (const r of shown) {
      const item: MessageItem = { title: r.title, body: r.body, severity: r.severity };
      if (r.alert_id !== null && this.o.publicUrl) {
        const token = await ackLinkToken(pool as unknown as Pick<PoolClient, 'query'>, this.o.box.signingKey, {
          messageKey: key,
          alertId: r.alert_id,
          site: r.site,
          userId: Number(r.user_id),
          now,
          ttlMs: this.o.ackLinkTtlMs ?? 24 * 60 * MINUTE_MS,
        });
        item.ackUrl = `${this.o.publicUrl.replace(/\/+$/, '')}${this.o.apiPath ?? '/api/v1'}/notify/ack/${token}`;
      }
      items.push(item);
    }
    const top = shown[0];
    const sites = [...new Set(group.map((r) => r.site))];
    const title = group.length === 1 ? top.title : `${group.length} notifications · ${sites.join(', ')}`;
    return { key, site: top.site, severity: top.severity, title, text: group.length === 1 ? top.body : items.map((i) => i.title).join('\n'), items, more: group.length - items.length, notifications: group.map((r) => ({ id: r.id, alertId: r.alert_id })) };
  }
}
