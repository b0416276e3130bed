import { Gauge, type Registry } from 'prom-client';
import type { Pool } from 'pg';
import { outboxCounts } from './notify-store';

/**
 * /metrics for notifications: the outbox by state (`failed` are given up on: someone must look),
 * read from the database at scrape time through `outbox` (the running dispatcher's pool, or
 * undefined while no notify node runs). Registered once per runtime, on its metrics registry.
 */
export function registerNotifyGauge(registry: Registry, outbox: () => (() => Promise<Pool>) | undefined): void {
  new Gauge({
    name: 'octopus_notifications',
    help: 'Notifications in the outbox by state (pending, sending, sent, failed)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const source = outbox();
      if (!source) return;
      try {
        const counts = await outboxCounts(await source());
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      } catch {
        // The database is away: the last figures stand.
      }
    },
  });
}
