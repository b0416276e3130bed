import { EventEmitter } from 'node:events';
import { Pool, type PoolConfig } from 'pg';
import { migrate } from './migrate';

export type DatabaseState = 'idle' | 'connecting' | 'ready' | 'error' | 'closed';

export interface DatabaseOptions {
  connectionString: string;
  /** Pool size; PGlite serialises queries anyway, real Postgres profits from a few connections. */
  poolSize?: number;
  applicationName?: string;
  /** Run the migrations in db/ before the first use (default true). */
  migrate?: boolean;
  /** How long an unused connection stays open (default 30 s). */
  idleTimeoutMs?: number;
}

/**
 * One connection pool per configured database, shared by every node that uses it. `ready()`
 * connects and migrates once; while the database is unreachable it rejects, and the next call
 * tries again, so callers simply retry their work. Emits `state` with (state, detail).
 */
export class Database extends EventEmitter {
  readonly pool: Pool;
  private readying: Promise<Pool> | undefined;
  private current: DatabaseState = 'idle';
  private detail = '';
  private users = 0;
  private readonly drained: Array<() => void> = [];
  /** Migration versions applied by this process (empty when the schema was already current). */
  appliedMigrations: string[] = [];

  constructor(private readonly options: DatabaseOptions) {
    super();
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.poolSize ?? 4,
      application_name: options.applicationName ?? 'octopus',
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30000,
      keepAlive: true,
    };
    this.pool = new Pool(config);
    // An idle client whose server went away emits here; without a listener the process dies.
    this.pool.on('error', (err) => this.setState('error', err.message));
    // A client checked out of the pool has no such listener (pg-pool removes it on checkout): if
    // the connection drops between two queries, the client itself emits 'error', and unheard that
    // kills Node-RED. The query in flight, or the next one, fails and is retried by its caller.
    this.pool.on('connect', (client) => client.on('error', (err) => this.setState('error', err.message)));
  }

  get state(): DatabaseState {
    return this.current;
  }

  get stateDetail(): string {
    return this.detail;
  }

  ready(): Promise<Pool> {
    if (this.current === 'closed') return Promise.reject(new Error('database closed'));
    if (!this.readying) {
      this.setState('connecting', '');
      this.readying = this.connect().then(
        (pool) => {
          this.setState('ready', '');
          return pool;
        },
        (err: Error) => {
          this.readying = undefined;
          this.setState('error', err.message);
          throw err;
        },
      );
    }
    return this.readying;
  }

  /** Marks the database unhealthy after a failed query, so status shows it until the next success. */
  reportFailure(err: Error): void {
    this.setState('error', err.message);
  }

  reportSuccess(): void {
    if (this.current === 'error' && this.readying) this.setState('ready', '');
  }

  /**
   * Declares a user that will still write while shutting down (a final save); `close()` waits for
   * it. Node-RED closes config nodes in flow order, so the database may be asked to close before
   * the node that needs it for one last write. Returns the release function.
   */
  retain(): () => void {
    this.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users--;
      if (this.users === 0) for (const w of this.drained.splice(0)) w();
    };
  }

  /** Closes the pool once every retained user is done (at most `waitMs`). */
  async close(waitMs = 10000): Promise<void> {
    if (this.users > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.setState('closed', '');
    await this.pool.end().catch(() => undefined);
  }

  private async connect(): Promise<Pool> {
    if (this.options.migrate !== false) this.appliedMigrations = await migrate(this.pool);
    else await this.pool.query('select 1');
    return this.pool;
  }

  private setState(state: DatabaseState, detail: string): void {
    if (this.current === 'closed') return;
    const changed = state !== this.current || detail !== this.detail;
    this.current = state;
    this.detail = detail;
    if (changed) this.emit('state', state, detail);
  }
}

/** Hides the password of a connection string so it can be logged or shown in a status. */
export function redactConnectionString(cs: string): string {
  try {
    const u = new URL(cs);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable connection string)';
  }
}
