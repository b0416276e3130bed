/**
 * Collects items and hands them to `flush` in batches: when `maxItems` are waiting, or when the
 * oldest waiting item has waited `maxWaitMs`. One flush runs at a time so batches commit in
 * arrival order. A failed flush is retried with exponential backoff and its items are kept:
 * deciding that an item is hopeless (dead-lettering it) is the flush function's job.
 */
export interface BatcherOptions<T> {
  maxItems: number;
  maxWaitMs: number;
  flush: (items: T[]) => Promise<void>;
  /** Called after each failed attempt, before the backoff wait. */
  onFlushError?: (err: Error, attempt: number, retryInMs: number) => void;
  /** Called after a flush succeeds (after a failure, this is the recovery signal). */
  onFlushed?: (count: number, ms: number) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Batcher<T> {
  private pending: T[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private attempt = 0;
  private readonly opts: Required<Omit<BatcherOptions<T>, 'onFlushError' | 'onFlushed'>> &
    Pick<BatcherOptions<T>, 'onFlushError' | 'onFlushed'>;

  constructor(options: BatcherOptions<T>) {
    if (!(options.maxItems >= 1)) throw new RangeError('maxItems must be at least 1');
    if (!(options.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be 0 or more');
    this.opts = { initialBackoffMs: 100, maxBackoffMs: 5000, ...options };
  }

  /** Items waiting, including the batch being flushed. */
  get size(): number {
    return this.pending.length + this.inFlight;
  }

  /** True while the last flush attempt failed and a retry is scheduled. */
  get retrying(): boolean {
    return this.attempt > 0;
  }

  private inFlight = 0;

  add(item: T): void {
    if (this.closed) throw new Error('batcher is closed');
    this.pending.push(item);
    if (this.flushing) return;
    if (this.pending.length >= this.opts.maxItems) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
  }

  /** Resolves once every item added so far has been flushed. */
  drain(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    if (!this.flushing) this.flushNow();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops timers and retries; items not yet flushed are returned to the caller. */
  close(): T[] {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    const left = this.pending;
    this.pending = [];
    return left;
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.closed || this.pending.length === 0) return;
    const batch = this.pending.length <= this.opts.maxItems ? this.pending : this.pending.slice(0, this.opts.maxItems);
    this.pending = batch === this.pending ? [] : this.pending.slice(batch.length);
    this.runFlush(batch);
  }

  private runFlush(batch: T[]): void {
    this.flushing = true;
    this.inFlight = batch.length;
    const started = Date.now();
    let result: Promise<void>;
    try {
      result = this.opts.flush(batch);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => {
        this.attempt = 0;
        this.flushing = false;
        this.inFlight = 0;
        this.opts.onFlushed?.(batch.length, Date.now() - started);
        this.afterFlush();
      },
      (err: unknown) => {
        this.attempt++;
        const delay = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (this.attempt - 1));
        this.opts.onFlushError?.(err instanceof Error ? err : new Error(String(err)), this.attempt, delay);
        if (this.closed) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (!this.closed) this.runFlush(batch);
        }, delay);
      },
    );
  }

  private afterFlush(): void {
    if (this.closed) return;
    if (this.pending.length >= this.opts.maxItems) {
      this.flushNow();
    } else if (this.pending.length > 0) {
      // Items that arrived during the flush already waited as long as the flush took.
      if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    if (this.idleWaiters.length > 0 && this.pending.length > 0 && !this.flushing) this.flushNow();
  }
}
