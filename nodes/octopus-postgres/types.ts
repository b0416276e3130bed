import type { Node } from 'node-red';
import type { Database } from '../../lib/db/database';

export interface PostgresCredentials {
  connectionString?: string;
}

/** What nodes using an octopus-postgres get: one shared pool (migrated on first use), or the problem with the config. */
export interface PostgresConfigNode extends Node<PostgresCredentials> {
  database: Database | undefined;
  problem: string | undefined;
  /** The connection string with its password hidden, for statuses and logs. */
  target: string;
}
