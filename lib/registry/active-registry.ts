import type { RegistryService } from './registry-service';

/**
 * The registry the REST API and the dashboard serve. Routes are registered once per process, but
 * registry config nodes come and go with every deploy: they register here while running.
 */
const running: RegistryService[] = [];

export function activateRegistry(service: RegistryService): () => void {
  running.push(service);
  return () => {
    const i = running.indexOf(service);
    if (i >= 0) running.splice(i, 1);
  };
}

/** The first registry deployed, or undefined while none is. */
export function activeRegistry(): RegistryService | undefined {
  return running[0];
}
