import { AuthService } from '../auth/auth-service';
import { bootstrapOperator } from '../auth/bootstrap';
import { startWithRetry } from '../util/retry';
import type { DatabaseConnection } from './database-upkeep';
import type { ServiceSlot, Unprovide } from './service-slot';

const BOOTSTRAP_RETRY_MS = 5000;
const PURGE_MS = 3_600_000;

/**
 * The web user store (sign-in, sessions, tokens for /api/v1 and /ui) as a service of its own: it
 * follows the runtime's served database (the first octopus-postgres provided and still running)
 * and, on each, opens the store, makes sure the first operator exists (OCTOPUS_ADMIN_USER/PASSWORD
 * or the admin file; lib/auth/bootstrap.ts), purges expired sessions hourly, and provides the store
 * in the `auth` slot every route checks against. When the database goes, so does the store: the
 * routes then answer 503, closed rather than open.
 */
export function followUserStore(databases: ServiceSlot<DatabaseConnection>, auth: ServiceSlot<AuthService>): Unprovide {
  let stopCurrent: (() => void) | undefined;
  const unsubscribe = databases.subscribe((conn) => {
    stopCurrent?.();
    stopCurrent = conn ? startUserStore(conn, auth) : undefined;
  });
  return () => {
    unsubscribe();
    stopCurrent?.();
    stopCurrent = undefined;
  };
}

function startUserStore(conn: DatabaseConnection, slot: ServiceSlot<AuthService>): () => void {
  const { database, log } = conn;
  const auth = new AuthService({ database: () => database.ready() });
  const bootstrap = startWithRetry(() => bootstrapOperator(auth), {
    retryMs: BOOTSTRAP_RETRY_MS,
    onStarted: ({ level, message }) => (level === 'warn' ? log.warn(`octopus users: ${message}`) : log.log(`octopus users: ${message}`)),
    onFailure: (err) => log.warn(`octopus users: first operator not set up yet (${err.message}); retrying`),
  });
  auth.settleFirst(bootstrap.settled);
  const unprovide = slot.provide(auth);
  const purge = setInterval(() => void auth.store.purgeExpiredSessions().catch(() => undefined), PURGE_MS);
  purge.unref();
  return () => {
    bootstrap.stop();
    clearInterval(purge);
    unprovide();
  };
}
