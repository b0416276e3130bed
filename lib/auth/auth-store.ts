import type { Pool } from 'pg';
import type { LockPolicy, LockState } from './lockout';
import { isSiteRole, type SiteRole, type TokenRole } from './permissions';

/**
 * The user store in Postgres (db/005_auth.sql, db/006_auth_provisioned.sql): users with their site roles, sessions and API
 * tokens. Tokens arrive here already hashed; nothing secret is stored in the clear.
 */
export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  operator: boolean;
  disabled: boolean;
  sites: Map<string, SiteRole>;
  lock: LockState;
  createdAt: number;
}

export interface SessionRecord {
  user: UserRecord;
  csrfToken: string;
  expiresAt: number;
}

export interface TokenRecord {
  id: number;
  userId: number;
  username: string;
  name: string;
  role: TokenRole;
  sites: string[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const USER_COLUMNS = `u.id, u.username, u.password_hash, u.operator, u.disabled, u.failed_logins, u.locked_until, u.lockouts, u.created_at,
  coalesce((select json_agg(json_build_array(r.site, r.role)) from auth_site_roles r where r.user_id = u.id), '[]') as roles`;

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  operator: boolean;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | null;
  lockouts: number;
  created_at: Date;
  roles: Array<[string, string]>;
}

function toUser(r: UserRow): UserRecord {
  const sites = new Map<string, SiteRole>();
  for (const [site, role] of r.roles) if (isSiteRole(role)) sites.set(site, role);
  return {
    id: Number(r.id),
    username: r.username,
    passwordHash: r.password_hash,
    operator: r.operator,
    disabled: r.disabled,
    sites,
    lock: { failures: r.failed_logins, lockedUntil: r.locked_until ? r.locked_until.getTime() : null, lockouts: r.lockouts },
    createdAt: r.created_at.getTime(),
  };
}

interface TokenRow {
  id: string;
  user_id: string;
  username: string;
  name: string;
  role: TokenRole;
  sites: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const ms = (d: Date | null) => (d ? d.getTime() : null);

function toToken(r: TokenRow): TokenRecord {
  return {
    id: Number(r.id),
    userId: Number(r.user_id),
    username: r.username,
    name: r.name,
    role: r.role,
    sites: r.sites,
    createdAt: r.created_at.getTime(),
    expiresAt: ms(r.expires_at),
    revokedAt: ms(r.revoked_at),
    lastUsedAt: ms(r.last_used_at),
  };
}

/** Where a configured operator comes from: OCTOPUS_ADMIN_USER/PASSWORD, or the admin file. */
export type ProvisionSource = 'environment' | 'admin-file';
export type ProvisionResult = 'created' | 'updated' | 'unchanged' | 'refused' | 'retired';

// Serialises instances that provision at the same time (any fixed number, distinct from migrate's).
const PROVISION_LOCK = 0x0c7096;

export class AuthStore {
  constructor(private readonly db: () => Promise<Pool>) {}

  async userByName(username: string): Promise<UserRecord | undefined> {
    const pool = await this.db();
    const { rows } = await pool.query<UserRow>(`select ${USER_COLUMNS} from auth_users u where lower(u.username) = lower($1)`, [username]);
    return rows[0] && toUser(rows[0]);
  }

  async userById(id: number): Promise<UserRecord | undefined> {
    const pool = await this.db();
    const { rows } = await pool.query<UserRow>(`select ${USER_COLUMNS} from auth_users u where u.id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  /** All users, or those with a role at one of `sites`. */
  async listUsers(sites?: readonly string[]): Promise<UserRecord[]> {
    const pool = await this.db();
    const { rows } = sites
      ? await pool.query<UserRow>(
          `select ${USER_COLUMNS} from auth_users u where exists (select 1 from auth_site_roles r where r.user_id = u.id and r.site = any($1::text[])) order by lower(u.username)`,
          [sites],
        )
      : await pool.query<UserRow>(`select ${USER_COLUMNS} from auth_users u order by lower(u.username)`);
    return rows.map(toUser);
  }

  async countOperators(): Promise<number> {
    const pool = await this.db();
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from auth_users where operator and not disabled');
    return rows[0].n;
  }

  /** Creates a user with its roles in one transaction; undefined when the name is taken. */
  async createUser(u: { username: string; passwordHash: string; operator: boolean; sites: ReadonlyMap<string, SiteRole> }): Promise<UserRecord | undefined> {
    const pool = await this.db();
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<{ id: string }>(
        `insert into auth_users (username, password_hash, operator) values ($1, $2, $3) on conflict do nothing returning id`,
        [u.username, u.passwordHash, u.operator],
      );
      if (rows.length === 0) {
        await client.query('rollback');
        return undefined;
      }
      const id = Number(rows[0].id);
      for (const [site, role] of u.sites) await client.query('insert into auth_site_roles (user_id, site, role) values ($1, $2, $3)', [id, site, role]);
      await client.query('commit');
      return this.userById(id);
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * The configured operator, from `source`: created if missing (and remembered as made by that
   * source); the account it made kept an enabled operator and its hash replaced when
   * `replaceHash` says so. Another account of that name is never promoted ('refused'), and one
   * it made that was deleted since is made again only when `remake` (the environment is the
   * deployment's word; the admin file seeds once: 'retired'). Accounts that already were enabled
   * operators before anything was remembered (older versions) are adopted.
   */
  async provisionOperator(
    source: ProvisionSource,
    username: string,
    passwordHash: string,
    options: { replaceHash: (current: string) => Promise<boolean>; remake: boolean },
  ): Promise<ProvisionResult> {
    const pool = await this.db();
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [PROVISION_LOCK]);
      const key = username.toLowerCase();
      const { rows: seen } = await client.query<{ user_id: string | null }>('select user_id from auth_provisioned where source = $1 and username = $2', [source, key]);
      const { rows: found } = await client.query<{ id: string; password_hash: string; operator: boolean; disabled: boolean }>(
        'select id, password_hash, operator, disabled from auth_users where lower(username) = $1',
        [key],
      );
      const existing = found[0];
      const ours = seen[0]?.user_id ?? null;
      let result: ProvisionResult;
      if (!existing) {
        if (seen[0] && !options.remake) result = 'retired';
        else {
          const { rows } = await client.query<{ id: string }>('insert into auth_users (username, password_hash, operator) values ($1, $2, true) returning id', [username, passwordHash]);
          await client.query(
            `insert into auth_provisioned (source, username, user_id) values ($1, $2, $3) on conflict (source, username) do update set user_id = excluded.user_id`,
            [source, key, rows[0].id],
          );
          result = 'created';
        }
      } else if (ours === existing.id || (!seen[0] && existing.operator && !existing.disabled)) {
        if (!seen[0]) await client.query('insert into auth_provisioned (source, username, user_id) values ($1, $2, $3)', [source, key, existing.id]);
        const newHash = options.remake && (await options.replaceHash(existing.password_hash)) ? passwordHash : existing.password_hash;
        const enable = options.remake && (!existing.operator || existing.disabled);
        if (newHash === existing.password_hash && !enable) result = 'unchanged';
        else {
          await client.query('update auth_users set operator = true, disabled = false, password_hash = $2, updated_at = now() where id = $1', [existing.id, newHash]);
          result = 'updated';
        }
      } else result = 'refused';
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Whether `source` ever made an account of this name (it may be gone since). */
  async wasProvisioned(source: ProvisionSource, username: string): Promise<boolean> {
    const pool = await this.db();
    return ((await pool.query('select 1 from auth_provisioned where source = $1 and username = $2', [source, username.toLowerCase()])).rowCount ?? 0) > 0;
  }

  /**
   * Changes a user in one transaction. A new password ends every session of the user but
   * `keepSession` (the one making the change, if theirs) and revokes all their API tokens: whoever
   * held the old password, or anything made with it, is out. Disabling ends the sessions (a
   * disabled user's tokens are refused at use).
   */
  async updateUser(id: number, change: { passwordHash?: string; disabled?: boolean; operator?: boolean }, keepSession?: Buffer): Promise<void> {
    const pool = await this.db();
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `update auth_users set password_hash = coalesce($2, password_hash), disabled = coalesce($3, disabled), operator = coalesce($4, operator),
           failed_logins = case when $2::text is null then failed_logins else 0 end,
           locked_until = case when $2::text is null then locked_until else null end,
           updated_at = now() where id = $1`,
        [id, change.passwordHash ?? null, change.disabled ?? null, change.operator ?? null],
      );
      if (change.passwordHash !== undefined) {
        await client.query('delete from auth_sessions where user_id = $1 and ($2::bytea is null or token_hash <> $2)', [id, keepSession ?? null]);
        await client.query('update auth_tokens set revoked_at = now() where user_id = $1 and revoked_at is null', [id]);
      } else if (change.disabled === true) {
        await client.query('delete from auth_sessions where user_id = $1', [id]);
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async deleteUser(id: number): Promise<boolean> {
    const pool = await this.db();
    return ((await pool.query('delete from auth_users where id = $1', [id])).rowCount ?? 0) > 0;
  }

  async setSiteRole(userId: number, site: string, role: SiteRole): Promise<void> {
    const pool = await this.db();
    await pool.query('insert into auth_site_roles (user_id, site, role) values ($1, $2, $3) on conflict (user_id, site) do update set role = excluded.role', [userId, site, role]);
  }

  async removeSiteRole(userId: number, site: string): Promise<boolean> {
    const pool = await this.db();
    return ((await pool.query('delete from auth_site_roles where user_id = $1 and site = $2', [userId, site])).rowCount ?? 0) > 0;
  }

  /**
   * Counts one wrong password in a single statement (parallel guesses each count), locking the
   * account as lib/auth/lockout.ts afterFailure does; answers the state after it.
   */
  async recordFailure(userId: number, now: number, policy: LockPolicy): Promise<LockState> {
    const pool = await this.db();
    const { rows } = await pool.query<{ failed_logins: number; locked_until: Date | null; lockouts: number }>(
      `update auth_users set
         failed_logins = case when locked_until > $2 then failed_logins when failed_logins + 1 >= $3 then 0 else failed_logins + 1 end,
         lockouts = case when locked_until > $2 then lockouts when failed_logins + 1 >= $3 then lockouts + 1 else lockouts end,
         locked_until = case when locked_until > $2 then locked_until
                             when failed_logins + 1 >= $3 then $2 + make_interval(secs => least($4::float8 * power(2, lockouts), $5::float8) / 1000)
                             else null end
       where id = $1 returning failed_logins, locked_until, lockouts`,
      [userId, new Date(now), policy.maxFailures, policy.baseLockMs, policy.maxLockMs],
    );
    const r = rows[0];
    return r ? { failures: r.failed_logins, lockedUntil: r.locked_until ? r.locked_until.getTime() : null, lockouts: r.lockouts } : { failures: 0, lockedUntil: null, lockouts: 0 };
  }

  async saveLock(userId: number, lock: LockState): Promise<void> {
    const pool = await this.db();
    await pool.query('update auth_users set failed_logins = $2, locked_until = $3, lockouts = $4 where id = $1', [
      userId,
      lock.failures,
      lock.lockedUntil === null ? null : new Date(lock.lockedUntil),
      lock.lockouts,
    ]);
  }

  async createSession(tokenHash: Buffer, userId: number, csrfToken: string, expiresAt: number): Promise<void> {
    const pool = await this.db();
    await pool.query('insert into auth_sessions (token_hash, user_id, csrf_token, expires_at) values ($1, $2, $3, $4)', [tokenHash, userId, csrfToken, new Date(expiresAt)]);
  }

  /** A live session (not expired, user enabled) with its user. */
  async session(tokenHash: Buffer): Promise<SessionRecord | undefined> {
    const pool = await this.db();
    const { rows } = await pool.query<UserRow & { csrf_token: string; expires_at: Date }>(
      `select ${USER_COLUMNS}, s.csrf_token, s.expires_at from auth_sessions s join auth_users u on u.id = s.user_id
        where s.token_hash = $1 and s.expires_at > now() and not u.disabled`,
      [tokenHash],
    );
    const r = rows[0];
    return r && { user: toUser(r), csrfToken: r.csrf_token, expiresAt: r.expires_at.getTime() };
  }

  async deleteSession(tokenHash: Buffer): Promise<void> {
    const pool = await this.db();
    await pool.query('delete from auth_sessions where token_hash = $1', [tokenHash]);
  }

  async purgeExpiredSessions(): Promise<number> {
    const pool = await this.db();
    return (await pool.query('delete from auth_sessions where expires_at <= now()')).rowCount ?? 0;
  }

  async createToken(t: { tokenHash: Buffer; userId: number; name: string; role: TokenRole; sites: readonly string[]; expiresAt: number | null }): Promise<TokenRecord> {
    const pool = await this.db();
    const { rows } = await pool.query<{ id: string }>(
      'insert into auth_tokens (token_hash, user_id, name, role, sites, expires_at) values ($1, $2, $3, $4, $5, $6) returning id',
      [t.tokenHash, t.userId, t.name, t.role, t.sites, t.expiresAt === null ? null : new Date(t.expiresAt)],
    );
    return (await this.token(Number(rows[0].id))) as TokenRecord;
  }

  /** A usable token (not revoked, not expired, its user enabled) with its user. */
  async tokenByHash(tokenHash: Buffer): Promise<{ token: TokenRecord; user: UserRecord } | undefined> {
    const pool = await this.db();
    const { rows } = await pool.query<TokenRow>(
      `update auth_tokens t set last_used_at = now() from auth_users u
        where t.token_hash = $1 and u.id = t.user_id and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and not u.disabled
        returning t.*, u.username`,
      [tokenHash],
    );
    if (!rows[0]) return undefined;
    const user = await this.userById(Number(rows[0].user_id));
    return user && { token: toToken(rows[0]), user };
  }

  async token(id: number): Promise<TokenRecord | undefined> {
    const pool = await this.db();
    const { rows } = await pool.query<TokenRow>('select t.*, u.username from auth_tokens t join auth_users u on u.id = t.user_id where t.id = $1', [id]);
    return rows[0] && toToken(rows[0]);
  }

  /** Tokens of one user, or of everyone; newest first. */
  async listTokens(userId?: number): Promise<TokenRecord[]> {
    const pool = await this.db();
    const { rows } = await pool.query<TokenRow>(
      `select t.*, u.username from auth_tokens t join auth_users u on u.id = t.user_id ${userId === undefined ? '' : 'where t.user_id = $1'} order by t.id desc`,
      userId === undefined ? [] : [userId],
    );
    return rows.map(toToken);
  }

  async revokeToken(id: number): Promise<boolean> {
    const pool = await this.db();
    return ((await pool.query('update auth_tokens set revoked_at = now() where id = $1 and revoked_at is null', [id])).rowCount ?? 0) > 0;
  }
}
