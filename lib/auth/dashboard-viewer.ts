import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from './auth-service';
import { credentialsOf, principalOf } from './http-auth';
import type { Viewer } from '../live/viewer';
import { can, type Grants } from './permissions';

/** How often an open stream's rights are looked up again: a logout or a lost role stops its pushes within this. */
export const REFRESH_MS = 15_000;

const NOBODY: Grants = { operator: false, sites: new Map() };

/** One signed-in session (or bearer token) with open connections: its rights, re-checked by one timer. */
interface Session {
  grants: Grants;
  credentials: ReturnType<typeof credentialsOf>;
  /** The connections it was seen on that are still open; the timer stops when the last one closes. */
  sockets: Set<object>;
  timer: NodeJS.Timeout | undefined;
}

/** The parts of a socket the hook uses. */
interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/** A key for the credentials that never holds them: the sessions table keeps no secret. */
function keyOf(c: ReturnType<typeof credentialsOf>): string {
  return createHash('sha256').update(`${c.bearer ?? ''}\u0000${c.sessionToken ?? ''}`).digest('base64url');
}

/**
 * The dashboard's authorize hook: the session cookie (or bearer token) of the request → a Viewer,
 * or undefined (the dashboard answers 401). For a long-lived request (the live stream) the
 * rights are refreshed while its connection lasts, so pushes are filtered by what the user may
 * see now, and stop once the session ends or expires.
 *
 * The re-check is per session, not per request (issue #15): every request of a session, on any
 * number of keep-alive connections, shares one timer and one lookup every `refreshMs`, which stops
 * once the session's last connection closes. Each connection gets one close listener however many
 * requests (and sessions, behind a proxy) it carries.
 */
export function authorizeDashboard(getAuth: () => AuthService | undefined, refreshMs = REFRESH_MS) {
  const sessions = new Map<string, Session>();
  /** Per connection: the sessions seen on it (one close listener each connection). */
  const bySocket = new WeakMap<object, Set<string>>();

  const refresh = (s: Session) => {
    const auth = getAuth();
    if (!auth) {
      s.grants = NOBODY;
      return;
    }
    // Looked up afresh, not a request's cached principal: the session may have ended since.
    auth.principal(s.credentials).then(
      (p) => (s.grants = p ?? NOBODY),
      () => undefined,
    );
  };

  const attach = (key: string, s: Session, socket: Closable & object) => {
    let keys = bySocket.get(socket);
    if (keys === undefined) {
      const seen = (keys = new Set());
      bySocket.set(socket, seen);
      socket.once('close', () => {
        for (const k of seen) {
          const session = sessions.get(k);
          if (session === undefined) continue;
          session.sockets.delete(socket);
          if (session.sockets.size === 0) {
            clearInterval(session.timer);
            sessions.delete(k);
          }
        }
        seen.clear();
      });
    }
    keys.add(key);
    s.sockets.add(socket);
  };

  const authorize = async (req: IncomingMessage): Promise<Viewer | undefined> => {
    const auth = getAuth();
    if (!auth) return undefined;
    const principal = await principalOf(auth, req);
    if (!principal) return undefined;
    const credentials = credentialsOf(req);
    const key = keyOf(credentials);
    let s = sessions.get(key);
    if (s === undefined) {
      s = { grants: principal, credentials, sockets: new Set(), timer: undefined };
      sessions.set(key, s);
    } else {
      s.grants = principal; // this request's lookup is the freshest
    }
    const session = s;
    const socket = req.socket as (Closable & object) | undefined;
    if (socket && typeof socket.once === 'function') attach(key, session, socket);
    if (session.timer === undefined && session.sockets.size > 0) {
      session.timer = setInterval(() => refresh(session), refreshMs);
      session.timer.unref();
    } else if (session.sockets.size === 0) {
      sessions.delete(key); // no connection to follow: nothing to refresh
    }
    return {
      userId: principal.userId,
      canSee: (site) => can(session.grants, 'see', site),
      canControl: (site) => can(session.grants, 'control', site),
    };
  };
  /** Sessions with a running re-check (for tests and status). */
  authorize.sessions = () => sessions.size;
  return authorize;
}
