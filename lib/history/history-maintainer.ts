import type { Database } from '../db/database';
import { runHistoryMaintenance, type MaintenanceOptions, type MaintenanceReport } from './history-maintenance';

export interface MaintainerOptions extends MaintenanceOptions {
  intervalMs?: number;
  onReport?: (report: MaintenanceReport) => void;
  onError?: (err: Error) => void;
}

/**
 * Runs the history maintenance for one database: as soon as the database is ready, then every
 * interval. A run never overlaps the previous one, and a failed run (database away) is reported
 * and simply tried again at the next tick.
 */
export class HistoryMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly options: MaintainerOptions,
  ) {}

  start(): void {
    const first = (state: string) => {
      if (state !== 'ready') return;
      this.database.off('state', first);
      this.runNow();
    };
    if (this.database.state === 'ready') this.runNow();
    else this.database.on('state', first);
    this.timer = setInterval(() => {
      if (this.database.state === 'ready') this.runNow();
    }, this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Runs once unless a run is already going; resolves when that run ends. */
  runNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.database
        .ready()
        .then((pool) => runHistoryMaintenance(pool, this.options))
        .then(
          (report) => this.options.onReport?.(report),
          (err: Error) => this.options.onError?.(err),
        )
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  /** Stops the schedule and waits for a run in progress, so the pool is not closed under it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
