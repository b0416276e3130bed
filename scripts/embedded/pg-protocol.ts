/**
 * Reading and writing the framing of the Postgres wire protocol (v3) for the embedded server,
 * defensively: every length is checked before it is trusted, so that no byte sequence a client
 * sends can throw, allocate without bound or reach PGlite malformed.
 */

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

/** Postgres' own limit for the startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_LENGTH = 10000;
/** Bound of one message after sign-in (a query, a Bind's parameters, a CopyData). */
export const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;

/**
 * Frontend messages handed to PGlite after sign-in. Any other type makes PGlite hang or throw
 * (an unknown type such as 'Z' never returns), so it ends the connection here instead.
 */
export const FORWARDED_TYPES = new Set(['B', 'C', 'd', 'c', 'f', 'D', 'E', 'H', 'F', 'P', 'Q', 'S'].map((c) => c.charCodeAt(0)));
export const TERMINATE = 'X'.charCodeAt(0);
export const PASSWORD = 'p'.charCodeAt(0);
export const SYNC = 'S'.charCodeAt(0);
export const QUERY = 'Q'.charCodeAt(0);

export type Frame = { type: number | undefined; body: Buffer; raw: Buffer } | { error: string };

/** Buffers a client's bytes and cuts them into whole messages; one concatenation per message. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  get buffered(): number {
    return this.size;
  }

  /**
   * The next whole message, an error when its header is impossible, or undefined while more
   * bytes are needed. Before the startup message, messages have no type byte.
   */
  next(typed: boolean, maxLength: number): Frame | undefined {
    const headerLength = typed ? 5 : 4;
    const header = this.peek(headerLength);
    if (!header) return undefined;
    const length = header.readInt32BE(typed ? 1 : 0);
    const minimum = typed ? 4 : 8;
    if (length < minimum || length > maxLength) return { error: `invalid message length ${length}` };
    const total = typed ? length + 1 : length;
    const whole = this.peek(total);
    if (!whole) return undefined;
    const raw = Buffer.from(whole); // a copy: the chunk it came from is released
    this.drop(total);
    return { type: typed ? raw[0] : undefined, body: raw.subarray(headerLength), raw };
  }

  private peek(n: number): Buffer | undefined {
    if (this.size < n) return undefined;
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0].subarray(0, n);
  }

  private drop(n: number): void {
    const first = this.chunks[0];
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
  }
}

/** The key/value pairs of a startup message's body, or undefined when they are malformed. */
export function startupParameters(body: Buffer): Map<string, string> | undefined {
  if (body.length === 1 && body[0] === 0) return new Map();
  if (body.length < 2 || body[body.length - 1] !== 0 || body[body.length - 2] !== 0) return undefined;
  const parts = body.subarray(0, body.length - 2).toString('utf8').split('\0');
  if (parts.length % 2 !== 0) return undefined;
  const params = new Map<string, string>();
  for (let i = 0; i < parts.length; i += 2) params.set(parts[i], parts[i + 1]);
  return params;
}

export function backendMessage(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

/** An ErrorResponse (FATAL by default) with its SQLSTATE. */
export function errorResponse(code: string, message: string, severity = 'FATAL'): Buffer {
  const fields = `S${severity}\0V${severity}\0C${code}\0M${message}\0\0`;
  return backendMessage('E', Buffer.from(fields, 'utf8'));
}

/** An Authentication message: 10 SASL (mechanisms), 11 SASLContinue, 12 SASLFinal. */
export function authentication(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(code, 0);
  return backendMessage('R', Buffer.concat([head, data]));
}

/** The startup message the server itself gives PGlite for a signed-in client (PGlite ignores the client's). */
export function canonicalStartup(): Buffer {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const out = Buffer.alloc(8 + params.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(PROTOCOL_3, 4);
  params.copy(out, 8);
  return out;
}

/** Sync, and a CopyFail that a session left in COPY FROM STDIN needs (ignored outside COPY). */
export function resetMessages(): Buffer[] {
  return [backendMessage('f', Buffer.from('client gone\0')), backendMessage('S', Buffer.alloc(0))];
}
