import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient } from 'pg';

/**
 * Which instance runs the clock (schedules, time triggers) when several Octopus instances share
 * one database (scale-out): the one holding a Postgres advisory lock on a connection of its own.
 * The others try again every few seconds, so a survivor takes over (running what was missed
 * within the grace window, as after a restart).
 */
export class ClockLock {
  private client?: PoolClient;
  private lastTry = -Infinity;
  private closed = false;

  constructor(
    private readonly database: () => Promise<Pool>,
    private readonly onAcquired: () => void,
    private readonly onError: (err: Error) => void,
    private readonly retryMs = 5000,
  ) {}

  get held(): boolean {
    return this.client !== undefined;
  }

  /** Starts an attempt unless the lock is held or one was made lately. */
  poll(): void {
    if (this.client || this.closed || performance.now() - this.lastTry < this.retryMs) return;
    this.lastTry = performance.now();
    void this.database()
      .then(async (pool) => {
        const client = await pool.connect();
        const got = await client.query("select pg_try_advisory_lock(hashtext('octopus-automation-clock')) as ok").catch(() => ({ rows: [{ ok: false }] }));
        if (!got.rows[0].ok || this.closed) return client.release(true);
        client.on('error', () => {
          if (this.client === client) this.client = undefined;
        });
        this.client = client;
        this.onAcquired();
      })
      .catch(this.onError);
  }

  /** Destroys the connection (not returned to the pool): the session ends, and so does its lock. */
  close(): void {
    this.closed = true;
    this.client?.release(true);
    this.client = undefined;
  }
}
