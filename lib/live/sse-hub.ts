import type { LiveReading } from './live-model';

/**
 * The part of an HTTP response the hub writes to. `http.ServerResponse` (and express's) is one;
 * tests pass a stub.
 */
export interface SseClient {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(): unknown;
  /** Drops the connection without waiting for unsent bytes (a stalled client would never take them). */
  destroy?(): unknown;
  on(event: 'close', listener: () => void): unknown;
  /** Bytes queued in the socket but not yet sent: how far behind the browser is. */
  readonly writableLength?: number;
}

export interface SseHubOptions {
  /**
   * A client with more than this many bytes still unsent is cut off rather than buffered for: a
   * stalled or backgrounded browser would otherwise grow the server's memory with every batch.
   * It reconnects by itself and resyncs from the snapshot. Default 1 MiB.
   */
  maxBufferedBytes?: number;
}

/**
 * Server-sent events to the browsers showing the dashboard. Readings are coalesced per device
 * attribute (the latest wins) and sent at most every `flushMs`, so a flood of readings becomes a
 * bounded trickle per browser; other events (device state, snapshot) go out at once.
 */
export class SseHub {
  private readonly clients = new Set<SseClient>();
  private pending = new Map<string, LiveReading>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;

  constructor(private readonly flushMs = 100, heartbeatMs = 15000, options: SseHubOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    // A comment line keeps proxies and browsers from closing an idle stream.
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over an HTTP response as an event stream; `first` is sent before anything else. */
  attach(res: SseClient, first: { event: string; data: unknown }): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    res.write(frame(first.event, first.data));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  queueReading(r: LiveReading): void {
    if (this.clients.size === 0) return;
    this.pending.set(`${r.deviceId}\u0000${r.attribute}`, r);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
  }

  send(event: string, data: unknown): void {
    if (this.clients.size > 0) this.write(frame(event, data));
  }

  /** Ends every stream: browsers reconnect by themselves to whatever serves the page next. */
  close(): void {
    clearTimeout(this.flushTimer);
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.write(frame('readings', batch));
  }

  private write(text: string): void {
    for (const c of this.clients) {
      if ((c.writableLength ?? 0) > this.maxBufferedBytes) {
        this.clients.delete(c);
        if (c.destroy) c.destroy();
        else c.end();
      } else {
        c.write(text);
      }
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
