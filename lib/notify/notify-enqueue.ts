import type { PoolClient } from 'pg';
import type { AlertTransition } from '../alerts/alert-types';

/**
 * Writes notifications into the outbox inside the caller's transaction (db/009_notify.sql): the
 * alert store calls `enqueueAlertNotifications` in the transaction that saves the transitions, so
 * an alert state and its notifications are committed together or not at all. The unique key
 * (source, source_id, user, channel, step) makes a repeated write a no-op.
 *
 * Who: every enabled user with a role at the site, and operators. What: their preferences for
 * the site (notify_preferences), or by default warnings and criticals in the app.
 */
export type Queryable = Pick<PoolClient, 'query'>;

/** A transition saved as alert_events row `eventId`. */
export interface SavedTransition {
  eventId: string;
  transition: AlertTransition;
}

/** A notification about to be written: the alert's, or a flow's message. */
export interface NotificationDraft {
  source: 'alert' | 'message';
  sourceId: string;
  alertId: string | null;
  site: string;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  body: string;
  /** Epoch ms: when it was raised (the dispatcher's clock decides when it goes). */
  at: number;
  /** Only these users (a flow's message may name them); absent: everyone the site's preferences say. */
  users?: number[];
  /** The escalation step (0: the first notification). */
  step?: number;
  /** Escalation reaches its targets whatever their minimum severity. */
  anySeverity?: boolean;
}

const NOTIFYING: ReadonlySet<string> = new Set(['raised', 'escalated', 'repeated']);
const STOPPING: ReadonlySet<string> = new Set(['acknowledged', 'cleared']);

export function alertTitle(t: AlertTransition): string {
  const a = t.alert;
  const what = t.type === 'raised' ? '' : t.type === 'escalated' ? ' (escalated)' : ' (still active)';
  return `[${a.severity}] ${a.ruleName}${what} · ${a.site}`;
}

export function alertBody(t: AlertTransition): string {
  const a = t.alert;
  return `${a.message}\n${a.site} / ${a.room} / ${a.device} · ${a.attribute}`;
}

/** The notifications of saved transitions, and the start or stop of their escalation chains. */
export async function enqueueAlertNotifications(client: Queryable, saved: readonly SavedTransition[]): Promise<void> {
  const drafts: NotificationDraft[] = [];
  const raised: { alert_id: string; site: string; at: number }[] = [];
  const stopped: string[] = [];
  for (const { eventId, transition: t } of saved) {
    if (NOTIFYING.has(t.type)) {
      drafts.push({ source: 'alert', sourceId: eventId, alertId: t.alert.id, site: t.alert.site, severity: t.alert.severity, title: alertTitle(t), body: alertBody(t), at: t.at });
      if (t.type === 'raised') raised.push({ alert_id: t.alert.id, site: t.alert.site, at: t.at });
    } else if (STOPPING.has(t.type)) stopped.push(t.alert.id);
  }
  await enqueueNotifications(client, drafts);
  if (raised.length > 0) {
    await client.query(
      `insert into notify_chains (alert_id, site, next_step, due_at)
       select r.alert_id, r.site, e.step, to_timestamp(r.at / 1000.0) + make_interval(mins => e.delay_min)
         from jsonb_to_recordset($1::jsonb) as r(alert_id text, site text, at float8)
         join notify_escalation e on e.site = r.site and e.step = (select min(step) from notify_escalation where site = r.site)
       on conflict (alert_id) do nothing`,
      [JSON.stringify(raised)],
    );
  }
  if (stopped.length > 0) await client.query('delete from notify_chains where alert_id = any($1::text[])', [stopped]);
}

const RANK_SQL = (x: string) => `array_position(array['info','warning','critical'], ${x})`;

/** Writes drafts for the recipients their preferences pick (step 0). */
export async function enqueueNotifications(client: Queryable, drafts: readonly NotificationDraft[]): Promise<number> {
  if (drafts.length === 0) return 0;
  const res = await client.query(
    `with d as (
       select * from jsonb_to_recordset($1::jsonb)
         as x(source text, source_id text, alert_id text, site text, severity text, title text, body text, at float8, users bigint[], step int, any_severity boolean)
     )
     insert into notify_outbox (source, source_id, alert_id, site, user_id, channel_id, channel_key, step, severity, title, body, next_attempt_at, created_at)
     select d.source, d.source_id, d.alert_id, d.site, u.id, ch.id, coalesce('c' || ch.id, 'inapp'), d.step, d.severity, d.title, d.body,
            to_timestamp(d.at / 1000.0), to_timestamp(d.at / 1000.0)
       from d
       join auth_users u on not u.disabled
            and (u.operator or exists (select 1 from auth_site_roles r where r.user_id = u.id and r.site = d.site))
            and (d.users is null or u.id = any(d.users))
       left join notify_preferences p on p.user_id = u.id and p.site = d.site
       cross join lateral (
         select null::bigint as id where coalesce(p.inapp, true)
         union all
         select c.id from notify_channels c where c.user_id = u.id and c.enabled and c.id = any(coalesce(p.channel_ids, '{}'::bigint[]))
       ) ch
      where d.any_severity or ${RANK_SQL('d.severity')} >= ${RANK_SQL("coalesce(p.min_severity, 'warning')")}
     on conflict do nothing`,
    [JSON.stringify(drafts.map((d) => ({ source: d.source, source_id: d.sourceId, alert_id: d.alertId, site: d.site, severity: d.severity, title: d.title, body: d.body, at: d.at, users: d.users ?? null, step: d.step ?? 0, any_severity: d.anySeverity ?? false })))],
  );
  return res.rowCount ?? 0;
}
