import type { NodeAPI, NodeDef } from 'node-red';
import { Database, redactConnectionString } from '../../lib/db/database';
import { databaseUrlProblem, defaultDatabaseUrl } from '../../lib/util/env-config';
import type { PostgresConfigNode, PostgresCredentials } from './types';

interface PostgresNodeDef extends NodeDef {
  poolSize: string | number;
}


export = function register(RED: NodeAPI): void {
  function OctopusPostgresNode(this: PostgresConfigNode, def: PostgresNodeDef) {
    RED.nodes.createNode(this, def);
    const connectionString = (this.credentials?.connectionString || '').trim() || defaultDatabaseUrl();
    const poolSize = Number(def.poolSize) || 4;
    this.database = undefined;
    this.target = connectionString ? redactConnectionString(connectionString) : '(none)';
    if (!connectionString) {
      this.problem = 'no database configured: set the connection string or DATABASE_URL';
    } else if (poolSize < 1 || poolSize > 100) {
      this.problem = `pool size ${poolSize} is outside 1–100`;
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
    this.on('close', (_removed: boolean, done: () => void) => {
      database.close().then(done, done);
    });
  }

  RED.nodes.registerType<PostgresConfigNode, PostgresNodeDef, object, PostgresCredentials>('octopus-postgres', OctopusPostgresNode, {
    credentials: {
      connectionString: { type: 'password' },
    },
  });
};
