import type { AuthService } from './auth-service';
import { activeSlot } from '../util/active-slot';

/**
 * The user store the HTTP routes check against. Routes are registered once per process; the
 * database config node that owns the store comes and goes with deploys and registers here while
 * it runs. With none running, protected routes answer 503: closed, never open.
 */
const slot = activeSlot<AuthService>();

export const activateAuth = slot.activate;

/** The user store of the first database node running, or undefined (protected routes then answer 503). */
export const activeAuth = slot.current;
