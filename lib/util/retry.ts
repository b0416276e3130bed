/**
 * Starts something that may fail until it works (a service whose database is not up yet): tries at
 * once, then every `retryMs` after a failure, until it succeeds or is stopped. What happens on
 * success and on each failure is the caller's; after stop() neither is called again.
 */
export interface RetryingStart {
  /** No more attempts; a pending one's outcome is ignored. */
  stop(): void;
  readonly stopped: boolean;
  /** Resolves once it started (after onStarted) or was stopped; never rejects. */
  readonly settled: Promise<void>;
}

export function startWithRetry<T>(start: () => Promise<T>, handlers: { retryMs: number; onStarted(value: T): void; onFailure(err: Error): void }): RetryingStart {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let settle = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const attempt = () => {
    start().then(
      (value) => {
        if (!stopped) handlers.onStarted(value);
        settle();
      },
      (err: Error) => {
        if (stopped) return;
        handlers.onFailure(err);
        if (!stopped) timer = setTimeout(attempt, handlers.retryMs);
      },
    );
  };
  attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      settle();
    },
    get stopped() {
      return stopped;
    },
    settled,
  };
}
