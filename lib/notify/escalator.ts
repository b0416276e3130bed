import type { Pool } from 'pg';
import { enqueueNotifications } from './notify-enqueue';

/**
 * Escalation chains (notify_chains, notify_escalation): an alert still active when its chain's
 * step is due is notified to the step's person or role, and the chain moves to the next step. Due
 * chains are taken with FOR UPDATE SKIP LOCKED and each is handled in one transaction with the
 * outbox rows it writes (keyed by alert and step): one instance, once. Acknowledged, cleared or
 * gone alerts end their chain (the alert's save also deletes it).
 */
export async function escalateDue(pool: Pool, now: number, limit = 100): Promise<number> {
  const client = await pool.connect();
  let written = 0;
  try {
    await client.query('begin');
    const due = await client.query<{
      alert_id: string;
      site: string;
      next_step: number;
      due_at: Date;
      state: string | null;
      severity: 'info' | 'warning' | 'critical';
      rule_name: string;
      message: string;
      room: string;
      device: string;
      attribute: string;
      raised_at: Date;
    }>(
      `select c.alert_id, c.site, c.next_step, c.due_at, a.state, a.severity, a.rule_name, a.message, a.room, a.device, a.attribute, a.raised_at
         from notify_chains c left join alerts a on a.id = c.alert_id
        where c.due_at <= to_timestamp($1::float8 / 1000.0)
        order by c.due_at limit $2 for update of c skip locked`,
      [now, limit],
    );
    for (const c of due.rows) {
      const step = await client.query<{ user_id: string | null; role: string | null; delay_min: number }>(
        'select user_id, role, delay_min from notify_escalation where site = $1 and step = $2',
        [c.site, c.next_step],
      );
      const s = step.rows[0];
      if (c.state !== 'active' || !s) {
        await client.query('delete from notify_chains where alert_id = $1', [c.alert_id]);
        continue;
      }
      const targets = await client.query<{ id: string }>(
        s.user_id !== null
          ? 'select id from auth_users where id = $1 and not disabled'
          : s.role === 'operator'
            ? 'select id from auth_users where operator and not disabled and $1::text is not null'
            : 'select u.id from auth_users u join auth_site_roles r on r.user_id = u.id where not u.disabled and r.site = $2 and r.role = $1',
        s.user_id !== null ? [s.user_id] : s.role === 'operator' ? [s.role] : [s.role, c.site],
      );
      const minutes = Math.round((now - c.raised_at.getTime()) / 60_000);
      written += await enqueueNotifications(client, [
        {
          source: 'alert',
          sourceId: c.alert_id,
          alertId: c.alert_id,
          site: c.site,
          severity: c.severity,
          title: `[${c.severity}] ${c.rule_name} · ${c.site}: not acknowledged after ${minutes} min`,
          body: `${c.message}\n${c.site} / ${c.room} / ${c.device} · ${c.attribute}\nEscalation step ${c.next_step}: nobody has acknowledged this alert yet.`,
          at: now,
          users: targets.rows.map((t) => Number(t.id)),
          step: c.next_step,
          anySeverity: true,
        },
      ]);
      const next = await client.query<{ step: number; delay_min: number }>(
        'select step, delay_min from notify_escalation where site = $1 and step > $2 order by step limit 1',
        [c.site, c.next_step],
      );
      const n = next.rows[0];
      if (n) {
        await client.query(`update notify_chains set next_step = $2, due_at = due_at + make_interval(mins => $3) where alert_id = $1`, [c.alert_id, n.step, n.delay_min]);
      } else await client.query('delete from notify_chains where alert_id = $1', [c.alert_id]);
    }
    await client.query('commit');
    return written;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
