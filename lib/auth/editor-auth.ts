import { Database } from '../db/database';
import { adminFilePath, adminFromEnv, readAdminFile, type AdminFile } from './admin-account';
import { AuthService } from './auth-service';
import { afterFailure, afterSuccess, lockedFor, type LockState } from './lockout';
import { passwordProblem, verifyPassword } from './passwords';
import { sameSecret } from './tokens';

/**
 * Node-RED's adminAuth for the editor and admin API: operators only. Accepted are the configured
 * operator (OCTOPUS_ADMIN_USER/PASSWORD, else the admin file under the data dir, until the store
 * has its account) and any enabled operator of the web user store in DATABASE_URL (else of the
 * Octopus runtime's user store, on the deployed octopus-postgres node). Wrong passwords lock the
 * name out as on the web.
 *
 * Why a pool of its own rather than the runtime's: the editor is where a broken or stopped flow is
 * fixed, so its sign-in must not depend on the flows running (the runtime's database exists only
 * while an octopus-postgres node is deployed and started). The pool is small (2) and idles down to
 * no connection 5 s after a sign-in.
 */
export interface EditorUser {
  username: string;
  permissions: '*';
}

export interface EditorAdminAuth {
  type: 'credentials';
  users(username: string): Promise<EditorUser | null>;
  authenticate(username: string, password: string): Promise<EditorUser | null>;
  /** Ends the user store's pool (Node-RED ignores this member; `npm start` calls it after stopping). */
  close(): Promise<void>;
  /**
   * The user store to check without a DATABASE_URL: the Octopus runtime hands its own when it is
   * made (nodes/octopus-runtime.ts finds this object in RED.settings.adminAuth).
   */
  useWebUserStore(source: () => AuthService | undefined): void;
}

/** Whether `x` (RED.settings.adminAuth) is the editor sign-in this module makes. */
export function isEditorAdminAuth(x: unknown): x is EditorAdminAuth {
  return typeof x === 'object' && x !== null && typeof (x as Partial<EditorAdminAuth>).useWebUserStore === 'function';
}

export function editorAdminAuth(options: { dataDir: string; env?: NodeJS.ProcessEnv }): EditorAdminAuth {
  const env = options.env ?? process.env;
  let store: AuthService | undefined;
  let database: Database | undefined;
  let webUserStore: () => AuthService | undefined = () => undefined;
  // The user store is opened on first use: the settings are read before `npm start` sets DATABASE_URL for embedded Postgres.
  // Its connections close after a few idle seconds, so a stock Node-RED (which has no stop hook
  // for settings) holds none between sign-ins; `close()` ends the pool for good.
  // Without DATABASE_URL (the pack in another Node-RED), the runtime's user store (on the deployed
  // octopus-postgres node), so a password changed over the API counts in the editor too.
  const userStore = (): AuthService | undefined => {
    if (!store && env.DATABASE_URL) {
      const opened = new Database({ connectionString: env.DATABASE_URL, poolSize: 2, applicationName: 'octopus-editor-auth', idleTimeoutMs: 5000 });
      database = opened;
      store = new AuthService({ database: () => opened.ready() });
    }
    return store ?? webUserStore();
  };
  const fromFile = () => {
    try {
      return readAdminFile(adminFilePath(options.dataDir));
    } catch {
      return undefined;
    }
  };
  /** The store answered that it has no such user: the file's account counts if the file never seeded it. */
  const fileStillCounts = async (store: AuthService, file: AdminFile | undefined, username: string) =>
    !!file && file.username === username && !file.seededAt && !(await store.store.wasProvisioned('admin-file', username));
  const locks = new Map<string, LockState>();
  const ok = (username: string): EditorUser => ({ username, permissions: '*' });

  /** A check against a configured secret, with an in-memory lock-out per name. */
  const checkLocal = async (username: string, check: () => Promise<boolean>): Promise<EditorUser | null> => {
    const now = Date.now();
    const lock = locks.get(username) ?? afterSuccess();
    if (lockedFor(lock, now) > 0) return null;
    if (await check()) {
      locks.delete(username);
      return ok(username);
    }
    locks.set(username, afterFailure(lock, now));
    return null;
  };

  return {
    type: 'credentials',
    useWebUserStore(source) {
      webUserStore = source;
    },
    async close() {
      const open = database;
      store = undefined;
      database = undefined;
      await open?.close();
    },
    async users(username) {
      if (adminFromEnv(env)?.username === username) return ok(username);
      const file = fromFile();
      const store = userStore();
      if (store) {
        try {
          const u = await store.store.userByName(username);
          if (u) return u.operator && !u.disabled ? ok(u.username) : null;
          return (await fileStillCounts(store, file, username)) ? ok(username) : null;
        } catch {
          // The database is down: the admin file still lets its operator in, until it seeded the store.
        }
      }
      return file && file.username === username && !file.seededAt ? ok(username) : null;
    },
    // The environment's operator is checked against the environment; everyone else against the
    // user store, which holds the operator the admin file seeded (with any password changed since).
    // The file's own hash counts only until the store has the account: when the store does not
    // have the name and never had it, or does not answer and the file has not seeded it yet.
    async authenticate(username, password) {
      const e = adminFromEnv(env);
      // A too-short configured password opens nothing (npm start refuses to start with one).
      if (e && e.username === username) return checkLocal(username, async () => !passwordProblem(e.password) && sameSecret(password, e.password));
      const file = fromFile();
      const fileCheck = () => checkLocal(username, () => verifyPassword(password, (file as AdminFile).passwordHash));
      const store = userStore();
      if (store) {
        try {
          if (await store.store.userByName(username)) {
            // Node-RED does not say who asks: the address limit is per name, not one bucket for every editor login.
            const checked = await store.verifyCredentials(username, password, `editor:${username.toLowerCase()}`);
            return checked.ok && checked.user.operator ? ok(checked.user.username) : null;
          }
          return (await fileStillCounts(store, file, username)) ? fileCheck() : null;
        } catch {
          // fall through to the file
        }
      }
      return file && file.username === username && !file.seededAt ? fileCheck() : null;
    },
  };
}
