import type { Node } from 'node-red';
import type { AutomationService } from '../../lib/automation/automation-service';
import type { RegistryService } from '../../lib/registry/registry-service';

/** What nodes using an octopus-registry get: the running registry service, or why there is none. */
export interface RegistryConfigNode extends Node {
  service: RegistryService | undefined;
  /** Home automation (schedules, scenes, automations, logbook), started with the registry. */
  automation?: AutomationService;
  problem: string | undefined;
}
