import type { AuthService } from './auth-service';
import { hashPassword, passwordProblem } from './passwords';

/**
 * The first operator account, made from the Node-RED editor (the dashboard node's edit dialog) in a
 * stock Node-RED where nobody set OCTOPUS_ADMIN_USER/PASSWORD. Only while the user store has no
 * operator: once one exists, accounts are managed through /api/v1 or the dashboard like any other.
 * Whoever may deploy flows may already run any code in Node-RED, so the editor's deploy permission
 * is what guards this (the admin route checks it); nothing here is reachable from /ui or /api/v1.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

// One lock for every first-operator request: two editors asking at once make one account, not two.
const FIRST_OPERATOR_LOCK = 0x0c7097;

export type OperatorSetup =
  | { state: 'no-user-store'; detail: string }
  | { state: 'unavailable'; detail: string }
  | { state: 'needed' }
  | { state: 'ready'; operators: number };

/** Whether an operator exists, for the editor and the dashboard node's status. */
export async function operatorSetup(auth: AuthService | undefined): Promise<OperatorSetup> {
  if (!auth) return { state: 'no-user-store', detail: 'no octopus-postgres database node is deployed' };
  try {
    const operators = await auth.store.countOperators();
    return operators > 0 ? { state: 'ready', operators } : { state: 'needed' };
  } catch (err) {
    return { state: 'unavailable', detail: (err as Error).message };
  }
}

export type FirstOperatorResult = { ok: true; username: string } | { ok: false; status: 400 | 409 | 503; error: string };

/** Makes `username` an operator with `password`, if and only if the store has no operator yet. */
export async function createFirstOperator(auth: AuthService | undefined, username: unknown, password: unknown): Promise<FirstOperatorResult> {
  if (!auth) return { ok: false, status: 503, error: 'no user store: deploy an octopus-postgres database node first' };
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username.trim())) {
    return { ok: false, status: 400, error: 'the username must be 1–64 letters, digits, ".", "_", "@" or "-"' };
  }
  if (typeof password !== 'string') return { ok: false, status: 400, error: 'a password is needed' };
  const weak = passwordProblem(password);
  if (weak) return { ok: false, status: 400, error: weak };
  const name = username.trim();
  const passwordHash = await hashPassword(password);
  let pool;
  try {
    pool = await auth.options.database();
  } catch (err) {
    return { ok: false, status: 503, error: `the database is not reachable: ${(err as Error).message}` };
  }
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [FIRST_OPERATOR_LOCK]);
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from auth_users where operator and not disabled');
    if (rows[0].n > 0) {
      await client.query('rollback');
      return { ok: false, status: 409, error: 'an operator account exists already: sign in at the dashboard and manage users there (or through /api/v1/users)' };
    }
    const made = await client.query('insert into auth_users (username, password_hash, operator) values ($1, $2, true) on conflict do nothing returning id', [name, passwordHash]);
    if (made.rowCount === 0) {
      await client.query('rollback');
      return { ok: false, status: 409, error: `a user named "${name}" exists already; choose another name` };
    }
    await client.query('commit');
    return { ok: true, username: name };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
