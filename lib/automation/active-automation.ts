import type { AutomationService } from './automation-service';
import { activeSlot } from '../util/active-slot';

/** The automation service the REST API serves: the one the running registry config node started. */
const slot = activeSlot<AutomationService>();

export const activateAutomation = slot.activate;

export const activeAutomation = slot.current;
