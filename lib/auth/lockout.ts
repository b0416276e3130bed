/**
 * Login throttling, pure. Two layers:
 *  - per account, a lock-out state machine kept with the user (so it holds across restarts and
 *    instances): after `maxFailures` wrong passwords in a row the account is locked, each lock-out
 *    twice as long as the one before up to `maxLockMs`; a good password resets it;
 *  - per client address, a fixed-window rate limit on login attempts (in memory), so guessing
 *    across many accounts from one place is slowed down too.
 */
export interface LockPolicy {
  maxFailures: number;
  baseLockMs: number;
  maxLockMs: number;
}

export const DEFAULT_LOCK_POLICY: LockPolicy = { maxFailures: 5, baseLockMs: 60_000, maxLockMs: 3_600_000 };

export interface LockState {
  /** Wrong passwords since the last success or lock-out. */
  failures: number;
  /** Epoch ms until which the account refuses every password, right or wrong. */
  lockedUntil: number | null;
  /** Lock-outs since the last success: the next one lasts longer. */
  lockouts: number;
}

export const UNLOCKED: LockState = { failures: 0, lockedUntil: null, lockouts: 0 };

/** Milliseconds the account stays locked, 0 when it is open. */
export function lockedFor(state: LockState, now: number): number {
  return state.lockedUntil !== null && state.lockedUntil > now ? state.lockedUntil - now : 0;
}

export function afterFailure(state: LockState, now: number, policy: LockPolicy = DEFAULT_LOCK_POLICY): LockState {
  if (lockedFor(state, now) > 0) return state;
  const failures = state.failures + 1;
  if (failures < policy.maxFailures) return { failures, lockedUntil: null, lockouts: state.lockouts };
  const lockMs = Math.min(policy.baseLockMs * 2 ** state.lockouts, policy.maxLockMs);
  return { failures: 0, lockedUntil: now + lockMs, lockouts: state.lockouts + 1 };
}

export function afterSuccess(): LockState {
  return { ...UNLOCKED };
}

/** Attempts per key (client address) per window; the map forgets windows that have passed. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts an attempt; says whether it is allowed and, if not, when the next one will be. */
  take(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    if (this.windows.size > 10_000) this.prune(now);
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) this.windows.set(key, (w = { start: now, count: 0 }));
    if (w.count >= this.limit) return { ok: false, retryAfterMs: w.start + this.windowMs - now };
    w.count++;
    return { ok: true };
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}
