import type { Node } from 'node-red';
import type { RegistryService } from '../../lib/registry/registry-service';

/** What nodes using an octopus-registry get: the running registry service, or why there is none. */
export interface RegistryConfigNode extends Node {
  service: RegistryService | undefined;
  problem: string | undefined;
}
