import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { can, type Grants, type SiteRole } from '../auth/permissions';

/**
 * One-tap acknowledge links. A link is `<nonce>.<expires s>.<user id>.<signature>`: HMAC-SHA256
 * (the secret box's signing key) over the first three, so it cannot be altered or forged; the
 * nonce is a row of notify_ack_links that says which alert and whose link it is, and is used
 * once. When used, the person's current role at the site must still allow acknowledging.
 */
export interface AckLinkRow {
  nonce: string;
  alertId: string;
  site: string;
  userId: number;
  username: string;
  expiresAt: number;
  usedAt: number | null;
}

export type AckCheck = { ok: true; link: AckLinkRow } | { ok: false; error: string };

const TOKEN = /^([A-Za-z0-9_-]{16,64})\.(\d{1,12})\.(\d{1,15})\.([a-f0-9]{64})$/;

function sign(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/**
 * The link for (message, alert, user): the same on every attempt of that message (its nonce comes
 * from the message key), so a resend after a crash carries the link the first attempt had.
 */
export async function ackLinkToken(
  client: Pick<PoolClient, 'query'>,
  key: Buffer,
  l: { messageKey: string; alertId: string; site: string; userId: number; now: number; ttlMs: number },
): Promise<string> {
  const nonce = createHmac('sha256', key).update(`nonce:${l.messageKey}:${l.alertId}:${l.userId}`).digest('base64url').slice(0, 32);
  const res = await client.query<{ expires: string }>(
    `with ins as (
       insert into notify_ack_links (nonce, alert_id, site, user_id, expires_at) values ($1, $2, $3, $4, to_timestamp($5::float8 / 1000.0))
       on conflict (nonce) do nothing returning expires_at)
     select floor(extract(epoch from expires_at))::bigint::text as expires from ins
     union all select floor(extract(epoch from expires_at))::bigint::text from notify_ack_links where nonce = $1 limit 1`,
    [nonce, l.alertId, l.site, l.userId, l.now + l.ttlMs],
  );
  const exp = res.rows[0].expires;
  return `${nonce}.${exp}.${l.userId}.${sign(key, `${nonce}.${exp}.${l.userId}`)}`;
}

/** The person's rights now (disabled or deleted: none). */
export async function currentGrants(db: Pick<PoolClient, 'query'>, userId: number): Promise<(Grants & { username: string }) | undefined> {
  const res = await db.query<{ username: string; operator: boolean; disabled: boolean; roles: { site: string; role: SiteRole }[] | null }>(
    `select u.username, u.operator, u.disabled,
            (select json_agg(json_build_object('site', r.site, 'role', r.role)) from auth_site_roles r where r.user_id = u.id) as roles
       from auth_users u where u.id = $1`,
    [userId],
  );
  const u = res.rows[0];
  if (!u || u.disabled) return undefined;
  return { username: u.username, operator: u.operator, sites: new Map((u.roles ?? []).map((r) => [r.site, r.role])) };
}

/**
 * Checks a link without using it: signature, expiry, the row (unused, same person), and the
 * person's role now. Every refusal is one sentence; none says which check failed beyond need.
 */
export async function checkAckLink(db: Pick<PoolClient, 'query'>, key: Buffer, token: string, now: number, lock = false): Promise<AckCheck> {
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, error: 'this acknowledge link is not valid' };
  const [, nonce, exp, uid, sig] = m;
  const expected = Buffer.from(sign(key, `${nonce}.${exp}.${uid}`));
  if (!timingSafeEqual(expected, Buffer.from(sig))) return { ok: false, error: 'this acknowledge link is not valid' };
  if (Number(exp) * 1000 <= now) return { ok: false, error: 'this acknowledge link has expired' };
  const res = await db.query<{ alert_id: string; site: string; user_id: string; expires_at: Date; used_at: Date | null }>(
    `select alert_id, site, user_id, expires_at, used_at from notify_ack_links where nonce = $1${lock ? ' for update' : ''}`,
    [nonce],
  );
  const row = res.rows[0];
  if (!row || Number(row.user_id) !== Number(uid)) return { ok: false, error: 'this acknowledge link is not valid' };
  if (row.used_at !== null) return { ok: false, error: 'this acknowledge link has already been used' };
  if (row.expires_at.getTime() <= now) return { ok: false, error: 'this acknowledge link has expired' };
  const grants = await currentGrants(db, Number(uid));
  if (!grants || !can(grants, 'control', row.site)) return { ok: false, error: `this link's recipient may no longer acknowledge alerts of site "${row.site}"` };
  return {
    ok: true,
    link: { nonce, alertId: row.alert_id, site: row.site, userId: Number(uid), username: grants.username, expiresAt: row.expires_at.getTime(), usedAt: null },
  };
}

/**
 * Uses a link: in one transaction the row is locked and checked again, `acknowledge` runs, and
 * the row is marked used only if it succeeded; a second use, at once or later, finds it used.
 */
export async function useAckLink(
  pool: Pool,
  key: Buffer,
  token: string,
  now: number,
  note: string | undefined,
  acknowledge: (link: AckLinkRow) => Promise<{ ok: true } | { ok: false; status: number; error: string }>,
): Promise<{ ok: true; link: AckLinkRow } | { ok: false; status: number; error: string }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const checked = await checkAckLink(client, key, token, now, true);
    if (!checked.ok) {
      await client.query('rollback');
      return { ok: false, status: 403, error: checked.error };
    }
    const done = await acknowledge(checked.link);
    if (!done.ok) {
      await client.query('rollback');
      return done;
    }
    await client.query('update notify_ack_links set used_at = to_timestamp($2::float8 / 1000.0), note = $3 where nonce = $1', [checked.link.nonce, now, note ?? null]);
    await client.query('commit');
    return { ok: true, link: checked.link };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
