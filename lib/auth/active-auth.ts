import type { AuthService } from './auth-service';

/**
 * The user store the HTTP routes check against. Routes are registered once per process; the
 * database config node that owns the store comes and goes with deploys and registers here while
 * it runs. With none running, protected routes answer 503: closed, never open.
 */
const running: AuthService[] = [];

export function activateAuth(service: AuthService): () => void {
  running.push(service);
  return () => {
    const i = running.indexOf(service);
    if (i >= 0) running.splice(i, 1);
  };
}

export function activeAuth(): AuthService | undefined {
  return running[0];
}
