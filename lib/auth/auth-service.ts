import type { Pool } from 'pg';
import { AuthStore, type ProvisionResult, type TokenRecord, type UserRecord } from './auth-store';
import { afterFailure, afterSuccess, DEFAULT_LOCK_POLICY, lockedFor, RateLimiter, type LockPolicy, type LockState } from './lockout';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords';
import { tokenGrants, type Principal, type SiteRole, type TokenRole } from './permissions';
import { hashToken, isApiToken, isSessionToken, newApiToken, newCsrfToken, newSessionToken } from './tokens';

export interface AuthServiceOptions {
  database: () => Promise<Pool>;
  /** Session lifetime (default 12 h, OCTOPUS_SESSION_HOURS). */
  sessionTtlMs?: number;
  lockPolicy?: LockPolicy;
  /** Login attempts per client address per minute (default 20). */
  loginsPerMinute?: number;
  now?: () => number;
}

export type LoginFailure = { ok: false; status: 401 | 429; error: string; retryAfterS?: number };
export type VerifyResult = { ok: true; user: UserRecord } | LoginFailure;
export type LoginResult = { ok: true; token: string; csrfToken: string; expiresAt: number; user: UserRecord } | LoginFailure;

export interface Credentials {
  /** The session cookie's value, if any. */
  sessionToken?: string;
  /** The bearer token, if any. */
  bearer?: string;
}

const INVALID = 'wrong username or password';
const LOCKED = 'this account is locked after too many wrong passwords; try again later';

export function sessionTtlFromEnv(): number {
  const h = Number(process.env.OCTOPUS_SESSION_HOURS);
  return (Number.isFinite(h) && h > 0 && h <= 24 * 30 ? h : 12) * 3_600_000;
}

/**
 * Logins, sessions and tokens over the user store. Passwords are checked with bcrypt; wrong ones
 * count towards the account's lock-out (kept in the database) and the address's rate limit (kept
 * here). Unknown names are locked out like real ones, in memory, so that the answers do not tell
 * which names exist.
 */
export class AuthService {
  readonly store: AuthStore;
  private readonly limiter: RateLimiter;
  private readonly ghostLocks = new Map<string, LockState>();
  private readonly now: () => number;
  readonly sessionTtlMs: number;
  private readonly policy: LockPolicy;
  private bootstrapped: Promise<unknown> = Promise.resolve();

  constructor(readonly options: AuthServiceOptions) {
    this.store = new AuthStore(options.database);
    this.limiter = new RateLimiter(options.loginsPerMinute ?? 20, 60_000);
    this.now = options.now ?? Date.now;
    this.sessionTtlMs = options.sessionTtlMs ?? sessionTtlFromEnv();
    this.policy = options.lockPolicy ?? DEFAULT_LOCK_POLICY;
  }

  /**
   * Logins wait (up to 10 s) for `work`, the first operator's creation at start, so that a login
   * right after the flows start does not fail for an account about to exist.
   */
  settleFirst(work: Promise<unknown>): void {
    const limit = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    this.bootstrapped = Promise.race([work.catch(() => undefined), limit]);
  }

  /**
   * Checks a password with the lock-out and rate limit, without making a session (the editor's
   * adminAuth uses this; `login` builds on it).
   */
  async verifyCredentials(username: string, password: string, clientAddress: string): Promise<VerifyResult> {
    await this.bootstrapped;
    const now = this.now();
    const rate = this.limiter.take(clientAddress, now);
    if (!rate.ok) return { ok: false, status: 429, error: 'too many login attempts from this address; try again later', retryAfterS: Math.ceil(rate.retryAfterMs / 1000) };

    const user = await this.store.userByName(username);
    const key = username.toLowerCase();
    const lock = user ? user.lock : this.ghostLocks.get(key) ?? afterSuccess();
    const wait = lockedFor(lock, now);
    if (wait > 0) return { ok: false, status: 429, error: LOCKED, retryAfterS: Math.ceil(wait / 1000) };

    const good = user && !user.disabled ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
    if (!good || !user) {
      let next: LockState;
      if (user) next = await this.store.recordFailure(user.id, now, this.policy);
      else this.rememberGhost(key, (next = afterFailure(lock, now, this.policy)));
      const locked = lockedFor(next, now);
      if (locked > 0) return { ok: false, status: 429, error: LOCKED, retryAfterS: Math.ceil(locked / 1000) };
      return { ok: false, status: 401, error: INVALID };
    }
    if (lock.failures > 0 || lock.lockouts > 0) await this.store.saveLock(user.id, afterSuccess());
    return { ok: true, user };
  }

  async login(username: string, password: string, clientAddress: string): Promise<LoginResult> {
    const checked = await this.verifyCredentials(username, password, clientAddress);
    if (!checked.ok) return checked;
    const token = newSessionToken();
    const csrfToken = newCsrfToken();
    const expiresAt = this.now() + this.sessionTtlMs;
    await this.store.createSession(hashToken(token), checked.user.id, csrfToken, expiresAt);
    return { ok: true, token, csrfToken, expiresAt, user: checked.user };
  }

  async logout(sessionToken: string): Promise<void> {
    if (isSessionToken(sessionToken)) await this.store.deleteSession(hashToken(sessionToken));
  }

  /**
   * Who the credentials belong to, or undefined. A bearer token wins over a cookie (scripts send
   * no cookies; a browser sends no bearer), and a malformed one is refused without a lookup.
   */
  async principal(c: Credentials): Promise<Principal | undefined> {
    if (c.bearer !== undefined) {
      if (!isApiToken(c.bearer)) return undefined;
      const found = await this.store.tokenByHash(hashToken(c.bearer));
      if (!found) return undefined;
      const grants = tokenGrants(found.user, found.token);
      return { userId: found.user.id, username: found.user.username, via: 'token', tokenId: found.token.id, tokenExpiresAt: found.token.expiresAt, ...grants };
    }
    if (c.sessionToken !== undefined && isSessionToken(c.sessionToken)) {
      const s = await this.store.session(hashToken(c.sessionToken));
      if (!s) return undefined;
      return { userId: s.user.id, username: s.user.username, operator: s.user.operator, sites: s.user.sites, via: 'session', csrfToken: s.csrfToken };
    }
    return undefined;
  }

  /**
   * Proves the caller knows `user`'s current password (before changing it), with the same
   * lock-out and rate limit as a login, so a stolen session cannot guess it either.
   */
  async checkCurrentPassword(user: UserRecord, password: string, clientAddress: string): Promise<{ ok: true } | LoginFailure> {
    const checked = await this.verifyCredentials(user.username, password, clientAddress);
    if (!checked.ok) return checked;
    return checked.user.id === user.id ? { ok: true } : { ok: false, status: 401, error: INVALID };
  }

  async createToken(
    owner: UserRecord,
    t: { name: string; role: TokenRole; sites: readonly string[]; expiresAt: number | null },
  ): Promise<{ token: string; record: TokenRecord }> {
    const token = newApiToken();
    const record = await this.store.createToken({ tokenHash: hashToken(token), userId: owner.id, ...t });
    return { token, record };
  }

  async createUser(u: { username: string; password: string; operator: boolean; sites: ReadonlyMap<string, SiteRole> }): Promise<UserRecord | undefined> {
    return this.store.createUser({ username: u.username, passwordHash: await hashPassword(u.password), operator: u.operator, sites: u.sites });
  }

  /**
   * The configured operator (see AuthStore.provisionOperator). A password from the environment is
   * the deployment's word: it replaces a different one and makes its account again if deleted;
   * the admin file only seeds the account once, so a password changed later over the API stays
   * changed and a deleted account stays deleted.
   */
  async ensureOperator(username: string, secret: { password: string } | { passwordHash: string }): Promise<ProvisionResult> {
    if ('password' in secret) {
      const hash = await hashPassword(secret.password);
      return this.store.provisionOperator('environment', username, hash, { remake: true, replaceHash: async (current) => !(await verifyPassword(secret.password, current)) });
    }
    return this.store.provisionOperator('admin-file', username, secret.passwordHash, { remake: false, replaceHash: async () => false });
  }

  private rememberGhost(key: string, state: LockState): void {
    if (this.ghostLocks.size > 10_000) this.ghostLocks.clear();
    this.ghostLocks.set(key, state);
  }
}
