/**
 * Collects items and hands them to `flush` in batches: when `maxItems` are waiting, or when the
 * oldest waiting item has waited `maxWaitMs`. Up to `concurrency` flushes run at once (each on its
 * own database connection), so the next batch is written while one commits. A failed flush is
 * retried with exponential backoff and its items are kept: deciding that an item is hopeless
 * (dead-lettering it) is the flush function's job.
 */
export interface BatcherOptions<T> {
  maxItems: number;
  maxWaitMs: number;
  flush: (items: T[]) => Promise<void>;
  /** How much an item counts towards `maxItems` (default 1): a message carrying 500 readings counts 500. */
  weight?: (item: T) => number;
  /** Flushes running at once (default 1: batches commit in arrival order). */
  concurrency?: number;
  /** Called after each failed attempt, before the backoff wait. */
  onFlushError?: (err: Error, attempt: number, retryInMs: number) => void;
  /** Called after a flush succeeds (after a failure, this is the recovery signal). */
  onFlushed?: (count: number, ms: number) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Batcher<T> {
  private pending: T[] = [];
  private pendingWeight = 0;
  private running = 0;
  private inFlight = 0;
  private failing = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly opts: BatcherOptions<T>) {
    if (!(opts.maxItems >= 1)) throw new RangeError('maxItems must be at least 1');
    if (!(opts.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be 0 or more');
    this.concurrency = opts.concurrency ?? 1;
    if (!(this.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
  }

  /** Items waiting, including the batches being flushed. */
  get size(): number {
    return this.pending.length + this.inFlight;
  }

  /** True while some batch's last attempt failed and a retry is scheduled. */
  get retrying(): boolean {
    return this.failing > 0;
  }

  add(item: T): void {
    if (this.closed) throw new Error('batcher is closed');
    this.pending.push(item);
    this.pendingWeight += this.weigh(item);
    if (this.pendingWeight >= this.opts.maxItems) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
  }

  /** Resolves once every item added so far has been flushed. */
  drain(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    this.flushNow();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops timers and retries; items not yet flushed are returned to the caller. */
  close(): T[] {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    const left = this.pending;
    this.pending = [];
    this.pendingWeight = 0;
    return left;
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // While a batch is failing, hold new ones back: they would fail the same way.
    while (!this.closed && this.pending.length > 0 && this.running < this.concurrency && this.failing === 0) {
      const batch = this.takeBatch();
      this.running++;
      this.inFlight += batch.length;
      this.runFlush(batch, 0);
    }
  }

  private weigh(item: T): number {
    return this.opts.weight ? Math.max(1, this.opts.weight(item)) : 1;
  }

  /** The oldest items up to `maxItems` of weight (always at least one item). */
  private takeBatch(): T[] {
    if (this.pendingWeight <= this.opts.maxItems) {
      const all = this.pending;
      this.pending = [];
      this.pendingWeight = 0;
      return all;
    }
    let n = 0;
    let w = 0;
    while (n < this.pending.length) {
      const next = this.weigh(this.pending[n]);
      if (n > 0 && w + next > this.opts.maxItems) break;
      w += next;
      n++;
    }
    const batch = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    this.pendingWeight -= w;
    return batch;
  }

  private runFlush(batch: T[], attempt: number): void {
    const started = Date.now();
    let result: Promise<void>;
    try {
      result = this.opts.flush(batch);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => {
        if (attempt > 0) this.failing--;
        this.running--;
        this.inFlight -= batch.length;
        this.opts.onFlushed?.(batch.length, Date.now() - started);
        this.afterFlush();
      },
      (err: unknown) => {
        if (attempt === 0) this.failing++;
        const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** attempt);
        this.opts.onFlushError?.(err instanceof Error ? err : new Error(String(err)), attempt + 1, delay);
        if (this.closed) return;
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          if (!this.closed) this.runFlush(batch, attempt + 1);
        }, delay);
        this.retryTimers.add(t);
      },
    );
  }

  private afterFlush(): void {
    if (this.closed) return;
    if (this.pendingWeight >= this.opts.maxItems || (this.idleWaiters.length > 0 && this.pending.length > 0)) {
      this.flushNow();
    } else if (this.pending.length > 0) {
      // Items that arrived during the flush already waited as long as the flush took.
      if (!this.timer && this.running < this.concurrency) this.timer = setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
    }
    if (this.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
