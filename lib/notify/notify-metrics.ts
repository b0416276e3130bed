import { Gauge } from 'prom-client';
import type { Pool } from 'pg';
import { registry } from '../metrics/ingest-metrics';
import { outboxCounts } from './notify-store';

/**
 * /metrics for notifications: the outbox by state (`failed` are given up on: someone must look),
 * read from the database at scrape time through the running dispatcher's pool.
 */
let source: (() => Promise<Pool>) | undefined;

export function setNotifyMetricsSource(database: (() => Promise<Pool>) | undefined): void {
  source = database;
}

new Gauge({
  name: 'octopus_notifications',
  help: 'Notifications in the outbox by state (pending, sending, sent, failed)',
  labelNames: ['state'],
  registers: [registry],
  async collect() {
    if (!source) return;
    try {
      const counts = await outboxCounts(await source());
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    } catch {
      // The database is away: the last figures stand.
    }
  },
});
