/** The shape of Node-RED's node.status argument, kept here so pure modules need no Node-RED import. */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/**
 * Sets a node's status at most once per interval: status updates travel to every open editor,
 * so one per message would flood them under load. The latest status always wins.
 */
export class ThrottledStatus {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private next: NodeStatus | undefined;

  constructor(
    private readonly apply: (s: NodeStatus) => void,
    private readonly intervalMs = 500,
  ) {}

  set(status: NodeStatus): void {
    this.next = status;
    if (!this.timer) {
      this.flush();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.next) this.flush();
      }, this.intervalMs);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    const s = this.next;
    this.next = undefined;
    if (!s) return;
    const key = `${s.fill}|${s.shape}|${s.text}`;
    if (key === this.last) return;
    this.last = key;
    this.apply(s);
  }
}

/** Logs at most one line per interval, counting the lines it held back. */
export class RateLimitedLog {
  private lastAt = 0;
  private suppressed = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs = 5000,
  ) {}

  write(line: string, now = Date.now()): void {
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const extra = this.suppressed > 0 ? ` (${this.suppressed} similar messages suppressed)` : '';
    this.suppressed = 0;
    this.lastAt = now;
    this.log(line + extra);
  }
}
