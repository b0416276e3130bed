import type { LiveReading } from './live-model';
import { OVERVIEW, wants, type Subscription } from './subscription';
import { ALLOW_ALL, type Viewer } from './viewer';

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
  /**
   * Most readings in one batch to one client. What does not fit waits for the next batch (and
   * keeps being coalesced), so a client gets at most maxBatch × 1000 / flushMs values a second
   * however many devices it follows. Default 100: with the 16 ms the dashboard flushes at, at most
   * 6 250 values a second per browser, whatever the reading rate.
   */
  maxBatch?: number;
}

/** Who a client is and what its page shows: every message is filtered by both. */
export interface ClientScope {
  viewer?: Viewer;
  subscription?: Subscription;
}

/** What a message is about: a client gets it only when its viewer may see the site and it follows the device. */
export interface MessageScope {
  site?: string;
  deviceId?: string;
}

interface Client {
  readonly res: SseClient;
  readonly viewer: Viewer;
  readonly subscription: Subscription;
  /** Event id of the last frame: consecutive per connection, so the page sees a gap as a jump. */
  seq: number;
  /** Readings not yet sent, latest per device attribute. */
  pending: Map<string, LiveReading>;
  timer: { cancel(): void } | undefined;
  lastFlush: number;
}

/**
 * Server-sent events to the browsers showing the dashboard. Each client follows what its page shows
 * (its subscription) as far as its viewer may see. Readings are coalesced per client and device
 * attribute (the latest wins) and sent at most once every `flushMs` per client — the first after a
 * quiet spell at once, so an idle page sees a change without delay — so a flood of readings becomes a
 * bounded trickle per browser; other events (device state, commands, alerts, snapshots) go out at once.
 * Every frame carries an event id, consecutive per connection.
 */
export class SseHub {
  private readonly clients = new Map<SseClient, Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;
  private readonly maxBatch: number;
  private closed = false;

  constructor(
    private readonly flushMs = 25,
    heartbeatMs = 15000,
    options: SseHubOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.maxBatch = options.maxBatch ?? 100;
    // A comment line keeps proxies and browsers from closing an idle stream.
    this.heartbeat = setInterval(() => {
      for (const c of this.clients.values()) this.writeTo(c, ': keep-alive\n\n');
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over an HTTP response as an event stream; `first` is sent before anything else. */
  attach(res: SseClient, first: { event: string; data: unknown }, scope: ClientScope = {}): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const client: Client = {
      res,
      viewer: scope.viewer ?? ALLOW_ALL,
      subscription: scope.subscription ?? OVERVIEW,
      seq: 0,
      pending: new Map(),
      timer: undefined,
      lastFlush: 0,
    };
    this.clients.set(res, client);
    res.on('close', () => this.drop(client));
    this.writeTo(client, this.frame(client, first.event, first.data));
  }

  queueReading(r: LiveReading): void {
    for (const c of this.clients.values()) {
      if (!wants(c.subscription, r.deviceId) || !c.viewer.canSee(r.site)) continue;
      c.pending.set(`${r.deviceId}\u0000${r.attribute}`, r);
      this.schedule(c);
    }
  }

  /** One event to every client whose viewer may see `scope.site` and whose page follows `scope.deviceId`. */
  send(event: string, data: unknown, scope: MessageScope = {}): void {
    for (const c of this.clients.values()) {
      if (scope.site !== undefined && !c.viewer.canSee(scope.site)) continue;
      if (scope.deviceId !== undefined && !wants(c.subscription, scope.deviceId)) continue;
      this.writeTo(c, this.frame(c, event, data));
    }
  }

  /** One event whose data depends on the client (a snapshot of what it may see); undefined sends nothing. */
  sendEach(event: string, dataFor: (scope: Required<ClientScope>) => unknown): void {
    for (const c of this.clients.values()) {
      const data = dataFor({ viewer: c.viewer, subscription: c.subscription });
      if (data !== undefined) this.writeTo(c, this.frame(c, event, data));
    }
  }

  /** Ends every stream: browsers reconnect by themselves to whatever serves the page next. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const c of [...this.clients.values()]) {
      this.drop(c);
      c.res.end();
    }
  }

  private schedule(c: Client): void {
    if (c.timer || this.closed) return;
    const wait = c.lastFlush + this.flushMs - Date.now();
    // The readings of one input message arrive in one tick: an immediate flush still coalesces them.
    if (wait <= 0) {
      const t = setImmediate(() => this.flush(c));
      c.timer = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(() => this.flush(c), wait);
      c.timer = { cancel: () => clearTimeout(t) };
    }
  }

  private flush(c: Client): void {
    c.timer = undefined;
    if (c.pending.size === 0 || !this.clients.has(c.res)) return;
    c.lastFlush = Date.now();
    let batch: LiveReading[];
    if (c.pending.size <= this.maxBatch) {
      batch = [...c.pending.values()];
      c.pending = new Map();
    } else {
      // Oldest first; the rest stays queued for the next turn.
      batch = [];
      for (const [key, r] of c.pending) {
        batch.push(r);
        c.pending.delete(key);
        if (batch.length >= this.maxBatch) break;
      }
    }
    this.writeTo(c, this.frame(c, 'readings', batch));
    if (c.pending.size > 0) this.schedule(c);
  }

  private frame(c: Client, event: string, data: unknown): string {
    c.seq++;
    return `id: ${c.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private writeTo(c: Client, text: string): void {
    if ((c.res.writableLength ?? 0) > this.maxBufferedBytes) {
      this.drop(c);
      if (c.res.destroy) c.res.destroy();
      else c.res.end();
      return;
    }
    c.res.write(text);
  }

  private drop(c: Client): void {
    this.clients.delete(c.res);
    c.timer?.cancel();
    c.timer = undefined;
    c.pending.clear();
  }
}
