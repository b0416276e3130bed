import type { RegistryService } from './registry-service';
import { activeSlot } from '../util/active-slot';

/**
 * The registry the REST API and the dashboard serve. Routes are registered once per process, but
 * registry config nodes come and go with every deploy: they register here while running.
 */
const slot = activeSlot<RegistryService>();

export const activateRegistry = slot.activate;

/** The first registry deployed, or undefined while none is. */
export const activeRegistry = slot.current;
