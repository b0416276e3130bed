import type { IncomingMessage } from 'node:http';
import type { AuthService } from './auth-service';
import { credentialsOf, principalOf } from './http-auth';
import type { Viewer } from '../live/viewer';
import { can, type Grants } from './permissions';

/** How often an open stream's rights are looked up again: a logout or a lost role stops its pushes within this. */
export const REFRESH_MS = 15_000;

const NOBODY: Grants = { operator: false, sites: new Map() };

/**
 * The dashboard's authorize hook: the session cookie (or bearer token) of the request → a Viewer,
 * or undefined (the dashboard answers 401). For a long-lived request (the live stream) the
 * rights are refreshed while its connection lasts, so pushes are filtered by what the user may
 * see now, and stop once the session ends or expires.
 */
export function authorizeDashboard(getAuth: () => AuthService | undefined, refreshMs = REFRESH_MS) {
  return async (req: IncomingMessage): Promise<Viewer | undefined> => {
    const auth = getAuth();
    if (!auth) return undefined;
    const principal = await principalOf(auth, req);
    if (!principal) return undefined;
    let grants: Grants = principal;
    const timer = setInterval(() => {
      // Looked up afresh, not the request's cached principal: the session may have ended since.
      auth.principal(credentialsOf(req)).then(
        (p) => (grants = p ?? NOBODY),
        () => undefined,
      );
    }, refreshMs);
    timer.unref();
    req.socket.once('close', () => clearInterval(timer));
    return {
      canSee: (site) => can(grants, 'see', site),
      canControl: (site) => can(grants, 'control', site),
    };
  };
}
