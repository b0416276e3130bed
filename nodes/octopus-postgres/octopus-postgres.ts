import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAPI, NodeDef } from 'node-red';
import { readNodeConfig } from '../../lib/node-config/node-config';
import { tryReadJsonBody } from '../../lib/api/http';
import { Database, redactConnectionString } from '../../lib/db/database';
import { testDatabaseConnection } from '../../lib/util/connection-test';
import { databaseUrlProblem, defaultDatabaseUrl, defaultRawRetentionDays } from '../../lib/util/env-config';
import { octopusRuntime } from '../octopus-runtime';
import type { PostgresConfigNode, PostgresCredentials } from './types';


export = function register(RED: NodeAPI): void {
  const runtime = octopusRuntime(RED);

  // "Test connection" in the edit dialog: the connection string typed there, else the stored one
  // (the field shows a placeholder, never the password), else DATABASE_URL.
  RED.httpAdmin.post('/octopus-postgres/test', RED.auth.needsPermission('octopus-postgres.write'), (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await tryReadJsonBody(req, 16 * 1024);
      const v = (body.ok ? body.value ?? {} : {}) as { id?: unknown; connectionString?: unknown };
      const typed = typeof v.connectionString === 'string' && v.connectionString !== '__PWRD__' ? v.connectionString.trim() : '';
      const stored = typeof v.id === 'string' ? (RED.nodes.getCredentials(v.id) as PostgresCredentials | undefined)?.connectionString?.trim() : undefined;
      const connectionString = typed || stored || defaultDatabaseUrl();
      const answer = !body.ok
        ? { ok: false, error: body.error }
        : connectionString
          ? await testDatabaseConnection(connectionString)
          : { ok: false, error: 'no connection string, and no DATABASE_URL in the environment' };
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(answer));
    })();
  });

  function OctopusPostgresNode(this: PostgresConfigNode, saved: NodeDef) {
    RED.nodes.createNode(this, saved);
    this.database = undefined;
    const read = readNodeConfig('octopus-postgres', saved);
    if (!read.ok) {
      this.target = '(none)';
      this.problem = read.problem;
      this.error(`octopus-postgres: ${this.problem}`);
      return;
    }
    if (read.note) this.log(read.note);
    const def = read.config;
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

    // A connection, handed to the runtime: it keeps the history maintenance running on it and,
    // while this is the first database deployed, the web user store (lib/runtime/user-service.ts).
    const stop = runtime.provideDatabase({ id: this.id, database, target: this.target, rawRetentionDays, log: { log: (l) => this.log(l), warn: (l) => this.warn(l) } });
    this.on('close', (_removed: boolean, done: () => void) => {
      stop()
        .then(() => database.close())
        .then(done, done);
    });
  }

  RED.nodes.registerType<PostgresConfigNode, NodeDef, object, PostgresCredentials>('octopus-postgres', OctopusPostgresNode, {
    credentials: {
      connectionString: { type: 'password' },
    },
    // The editor flags a database left without a connection string when there is no DATABASE_URL.
    settings: {
      octopusPostgresEnvUrl: { value: process.env.DATABASE_URL ? 'DATABASE_URL' : '', exportable: true },
    },
  } as Parameters<typeof RED.nodes.registerType>[2]);
};
