import type { NodeAPI, NodeDef } from 'node-red';
import { Database, redactConnectionString } from '../../lib/db/database';
import { HistoryMaintainer } from '../../lib/history/history-maintainer';
import { databaseUrlProblem, defaultDatabaseUrl, defaultRawRetentionDays } from '../../lib/util/env-config';
import type { PostgresConfigNode, PostgresCredentials } from './types';

interface PostgresNodeDef extends NodeDef {
  poolSize: string | number;
  /** Days of raw readings to keep; empty: OCTOPUS_RAW_RETENTION_DAYS or 365; 0 keeps all. */
  rawRetentionDays?: string | number;
}


export = function register(RED: NodeAPI): void {
  function OctopusPostgresNode(this: PostgresConfigNode, def: PostgresNodeDef) {
    RED.nodes.createNode(this, def);
    const connectionString = (this.credentials?.connectionString || '').trim() || defaultDatabaseUrl();
    const poolSize = Number(def.poolSize) || 4;
    const retentionSetting = String(def.rawRetentionDays ?? '').trim();
    const rawRetentionDays = retentionSetting === '' ? defaultRawRetentionDays() : Number(retentionSetting);
    this.database = undefined;
    this.target = connectionString ? redactConnectionString(connectionString) : '(none)';
    if (!connectionString) {
      this.problem = 'no database configured: set the connection string or DATABASE_URL';
    } else if (poolSize < 1 || poolSize > 100) {
      this.problem = `pool size ${poolSize} is outside 1–100`;
    } else if (!Number.isInteger(rawRetentionDays) || rawRetentionDays < 0) {
      this.problem = `raw retention "${retentionSetting || process.env.OCTOPUS_RAW_RETENTION_DAYS}" must be a whole number of days (0 keeps everything)`;
    } else {
      this.problem = databaseUrlProblem(connectionString);
    }
    if (this.problem) {
      this.error(`octopus-postgres: ${this.problem}`);
      return;
    }
    const database = new Database({
      connectionString: connectionString as string,
      poolSize,
      applicationName: `octopus-node-red-${this.id}`,
    });
    this.database = database;
    database.on('state', (state: string, detail: string) => {
      if (state === 'error') this.warn(`database ${this.target}: ${detail}`);
      if (state === 'ready' && database.appliedMigrations.length > 0) {
        this.log(`applied migrations ${database.appliedMigrations.join(', ')} to ${this.target}`);
      }
    });
    const maintainer = new HistoryMaintainer(database, {
      rawRetentionDays,
      onError: (err) => this.warn(`history maintenance on ${this.target}: ${err.message}`),
      onReport: (r) => {
        if (r.partitionsDropped.length > 0) this.log(`retention (${rawRetentionDays} days): dropped ${r.partitionsDropped.join(', ')}`);
        if (r.backlog > 0) this.log(`rollups: ${r.backlog} closed 5-minute buckets still to roll up`);
      },
    });
    maintainer.start();
    this.on('close', (_removed: boolean, done: () => void) => {
      maintainer
        .stop()
        .then(() => database.close())
        .then(done, done);
    });
  }

  RED.nodes.registerType<PostgresConfigNode, PostgresNodeDef, object, PostgresCredentials>('octopus-postgres', OctopusPostgresNode, {
    credentials: {
      connectionString: { type: 'password' },
    },
  });
};
