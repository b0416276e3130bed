/**
 * The last messages a parse node saw, in memory, for the "try a message" panel (issue #17): an
 * operator picks one instead of fishing it out of a broker. A fixed ring: the oldest is
 * overwritten, each payload is kept up to MAX_KEPT_BYTES, so a node costs at most
 * 50 × 8 KB whatever its traffic. Nothing is written anywhere.
 */
export const RECENT_CAPACITY = 50;
export const MAX_KEPT_BYTES = 8 * 1024;

export interface RecentMessage {
  topic: string;
  /** The payload as text (UTF-8); binary payloads as base64 with `base64: true`. */
  payload: string;
  base64?: boolean;
  /** True when the payload was longer than MAX_KEPT_BYTES and is cut. */
  truncated?: boolean;
  bytes: number;
  receivedAt: number;
}

export class RecentMessages {
  private readonly ring: Array<{ topic: string; payload: unknown; receivedAt: number } | undefined>;
  private next = 0;

  constructor(readonly capacity = RECENT_CAPACITY) {
    this.ring = new Array(capacity);
  }

  /** Keeps a reference only: the text is made when someone asks (the ingest path stays cheap). */
  add(topic: unknown, payload: unknown, receivedAt: number): void {
    this.ring[this.next] = { topic: typeof topic === 'string' ? topic.slice(0, 1024) : '', payload: keepable(payload), receivedAt };
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  list(): RecentMessage[] {
    const out: RecentMessage[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const m = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (m !== undefined) out.push(describe(m.topic, m.payload, m.receivedAt));
    }
    return out;
  }
}

/** A Buffer or a string up to the kept size (a slice shares memory: copied so a big payload is not held). */
function keepable(payload: unknown): unknown {
  if (Buffer.isBuffer(payload)) return payload.length > MAX_KEPT_BYTES ? { cut: Buffer.from(payload.subarray(0, MAX_KEPT_BYTES)), bytes: payload.length } : payload;
  if (typeof payload === 'string') return payload.length > MAX_KEPT_BYTES ? { cut: payload.slice(0, MAX_KEPT_BYTES), bytes: Buffer.byteLength(payload) } : payload;
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'object') {
    try {
      const json = JSON.stringify(payload);
      return typeof json === 'string' ? keepable(json) : '';
    } catch {
      return '';
    }
  }
  return String(payload);
}

function describe(topic: string, kept: unknown, receivedAt: number): RecentMessage {
  let payload = kept;
  let bytes: number | undefined;
  let truncated = false;
  if (typeof kept === 'object' && kept !== null && !Buffer.isBuffer(kept) && 'cut' in kept) {
    const c = kept as { cut: Buffer | string; bytes: number };
    payload = c.cut;
    bytes = c.bytes;
    truncated = true;
  }
  const m: RecentMessage = { topic, payload: '', bytes: 0, receivedAt };
  if (Buffer.isBuffer(payload)) {
    m.bytes = bytes ?? payload.length;
    const text = payload.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(payload)) m.payload = text;
    else {
      m.payload = payload.toString('base64');
      m.base64 = true;
    }
  } else {
    m.payload = String(payload);
    m.bytes = bytes ?? Buffer.byteLength(m.payload);
  }
  if (truncated) m.truncated = true;
  return m;
}
