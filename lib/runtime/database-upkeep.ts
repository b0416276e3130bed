import type { Database } from '../db/database';
import { HistoryMaintainer } from '../history/history-maintainer';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { maintenanceIntervalMs } from '../util/env-config';

/** A node's log: its lines carry the node's name in the Node-RED log. */
export interface NodeLog {
  log(line: string): void;
  warn(line: string): void;
}

/** What an octopus-postgres config node hands the runtime while it runs: an open connection, nothing more. */
export interface DatabaseConnection {
  /** The config node's id. */
  id: string;
  database: Database;
  /** The connection string without its password, for log lines. */
  target: string;
  /** Days of raw readings to keep (0 keeps all), from the node's settings. */
  rawRetentionDays: number;
  log: NodeLog;
}

/**
 * The history maintenance of one connected database (partitions, retention, rollups): started by
 * the runtime when the database is provided, stopped (awaited) before the pool closes.
 */
export function startHistoryUpkeep(conn: DatabaseConnection, metrics: IngestMetrics): () => Promise<void> {
  const { database, target, rawRetentionDays, log } = conn;
  let defaultPartitionRows = 0;
  const unregisterStats = metrics.registerStatsSource(conn.id, () => ({ defaultPartitionRows }));
  const interval = maintenanceIntervalMs();
  if (interval.problem) log.warn(interval.problem);
  const maintainer = new HistoryMaintainer(database, {
    rawRetentionDays,
    intervalMs: interval.ms,
    onError: (err) => log.warn(`history maintenance on ${target}: ${err.message}`),
    onReport: (r) => {
      defaultPartitionRows = r.defaultRows;
      if (r.pastDaysMoved.length > 0) log.log(`partitions: readings of past days moved into ${r.pastDaysMoved.join(', ')}`);
      if (r.partitionsDropped.length > 0) log.log(`retention (${rawRetentionDays} days): dropped ${r.partitionsDropped.join(', ')}`);
      if (r.backlog > 0) log.log(`rollups: ${r.backlog} closed 5-minute buckets still to roll up`);
    },
  });
  maintainer.start();
  return async () => {
    unregisterStats();
    await maintainer.stop();
  };
}
