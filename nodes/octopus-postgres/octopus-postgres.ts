import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAPI, NodeDef } from 'node-red';
import { tryReadJsonBody } from '../../lib/api/http';
import { registerAuthApi } from '../../lib/api/routes';
import { activateAuth } from '../../lib/auth/active-auth';
import { AuthService } from '../../lib/auth/auth-service';
import { bootstrapOperator } from '../../lib/auth/bootstrap';
import { Database, redactConnectionString } from '../../lib/db/database';
import { HistoryMaintainer } from '../../lib/history/history-maintainer';
import { readNodeConfig } from '../../lib/node-config/node-config';
import { registerStatsSource } from '../../lib/metrics/ingest-metrics';
import { testDatabaseConnection } from '../../lib/util/connection-test';
import { databaseUrlProblem, defaultDatabaseUrl, defaultRawRetentionDays, maintenanceIntervalMs } from '../../lib/util/env-config';
import type { PostgresConfigNode, PostgresCredentials } from './types';

export = function register(RED: NodeAPI): void {
  // Sign-in, users and tokens live as long as the runtime; they use whichever user store is deployed.
  registerAuthApi(RED.httpNode, { onError: (err) => RED.log.error(`octopus API: ${err.stack ?? err.message}`) });

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

    // This database also holds the users the web routes (/api/v1, /ui) check against: the first
    // deployed octopus-postgres is the user store (see docs/security.md).
    const auth = new AuthService({ database: () => database.ready() });
    const deactivateAuth = activateAuth(auth);
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    const bootstrap = (): Promise<void> =>
      bootstrapOperator(auth).then(
        ({ level, message }) => (level === 'warn' ? this.warn(`octopus users: ${message}`) : this.log(`octopus users: ${message}`)),
        (err: Error) => {
          this.warn(`octopus users: first operator not set up yet (${err.message}); retrying`);
          if (!closed) return new Promise<void>((resolve) => (retry = setTimeout(() => resolve(bootstrap()), 5000)));
        },
      );
    auth.settleFirst(bootstrap());
    const purge = setInterval(() => void auth.store.purgeExpiredSessions().catch(() => undefined), 3_600_000);
    purge.unref();

    let defaultPartitionRows = 0;
    const unregisterStats = registerStatsSource(this.id, () => ({ defaultPartitionRows }));
    const interval = maintenanceIntervalMs();
    if (interval.problem) this.warn(interval.problem);
    const maintainer = new HistoryMaintainer(database, {
      rawRetentionDays,
      intervalMs: interval.ms,
      onError: (err) => this.warn(`history maintenance on ${this.target}: ${err.message}`),
      onReport: (r) => {
        defaultPartitionRows = r.defaultRows;
        if (r.pastDaysMoved.length > 0) this.log(`partitions: readings of past days moved into ${r.pastDaysMoved.join(', ')}`);
        if (r.partitionsDropped.length > 0) this.log(`retention (${rawRetentionDays} days): dropped ${r.partitionsDropped.join(', ')}`);
        if (r.backlog > 0) this.log(`rollups: ${r.backlog} closed 5-minute buckets still to roll up`);
      },
    });
    maintainer.start();
    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(retry);
      clearInterval(purge);
      unregisterStats();
      deactivateAuth();
      maintainer
        .stop()
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
