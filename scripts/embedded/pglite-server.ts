import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import {
  CANCEL_REQUEST,
  FORWARDED_TYPES,
  FrameReader,
  GSSENC_REQUEST,
  MAX_MESSAGE_LENGTH,
  MAX_STARTUP_LENGTH,
  PASSWORD,
  PROTOCOL_3,
  QUERY,
  SSL_REQUEST,
  SYNC,
  TERMINATE,
  authentication,
  canonicalStartup,
  errorResponse,
  resetMessages,
  startupParameters,
} from './pg-protocol';
import { SCRAM_MECHANISM, ScramExchange, scramVerifier, type ScramVerifier } from './pg-scram';

export interface PgliteServerOptions {
  /** The password every client must prove (SCRAM-SHA-256). */
  password: string;
  /** Connections at once, signed in or not; more are refused with 53300. */
  maxConnections?: number;
  /** A client that has not signed in by then is dropped. */
  authTimeoutMs?: number;
}

type Phase = 'startup' | 'sasl-initial' | 'sasl-final' | 'ready' | 'closed';

interface Connection {
  socket: Socket;
  reader: FrameReader;
  phase: Phase;
  user: string;
  scram: ScramExchange | undefined;
  busy: boolean;
  /** The message being handled; a client that goes away is cleaned up after it. */
  current: Promise<void>;
}

/**
 * A Postgres socket in front of PGlite, which is one session running one statement at a time.
 * Clients sign in with SCRAM-SHA-256 against the server's password (answered here, before PGlite
 * sees a byte). Each signed-in client gets the session for a whole unit of work: from its first
 * message until it ends a query (Sync or a simple Query) outside a transaction. Other clients wait
 * meanwhile, so an extended-protocol sequence or a transaction is never interleaved with another
 * client's. Whatever a client sends, the worst it gets is its own connection closed: lengths are
 * bounded, only well-formed messages of known types reach PGlite, and a client that goes away has
 * its unfinished sequence synced and its transaction rolled back before the next one goes on.
 */
export class PgliteServer {
  private server: Server | undefined;
  private owner: Connection | undefined;
  private readonly waiting: Array<{ conn: Connection; grant: () => void; refuse: (err: Error) => void }> = [];
  private readonly connections = new Set<Connection>();
  private readonly verifier: ScramVerifier;
  private readonly maxConnections: number;
  private readonly authTimeoutMs: number;

  constructor(
    private readonly db: PGlite,
    options: PgliteServerOptions,
  ) {
    if (!options.password) throw new Error('the embedded Postgres server needs a password');
    this.verifier = scramVerifier(options.password);
    this.maxConnections = options.maxConnections ?? 100;
    this.authTimeoutMs = options.authTimeoutMs ?? 30000;
  }

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.on('error', () => undefined);
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.connections.size >= this.maxConnections) {
      this.refuse(socket, errorResponse('53300', 'sorry, too many clients already'));
      return;
    }
    socket.setNoDelay(true);
    const conn: Connection = { socket, reader: new FrameReader(), phase: 'startup', user: '', scram: undefined, busy: false, current: Promise.resolve() };
    this.connections.add(conn);
    const authTimer = setTimeout(() => {
      if (conn.phase !== 'ready') this.fail(conn, errorResponse('08006', 'authentication timed out'));
    }, this.authTimeoutMs);
    authTimer.unref();
    socket.on('data', (chunk: Buffer) => {
      if (conn.phase === 'closed') return;
      conn.reader.push(chunk);
      void this.pump(conn);
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      conn.phase = 'closed';
      this.connections.delete(conn);
      const i = this.waiting.findIndex((w) => w.conn === conn);
      if (i >= 0) this.waiting.splice(i, 1)[0].refuse(new Error('client gone'));
      void conn.current.then(() => this.release(conn, true));
    });
  }

  /** Handles the client's whole messages one after the other; reading pauses meanwhile. */
  private async pump(conn: Connection): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    conn.socket.pause();
    try {
      while (conn.phase !== 'closed') {
        const typed = conn.phase !== 'startup';
        const frame = conn.reader.next(typed, conn.phase === 'ready' ? MAX_MESSAGE_LENGTH : MAX_STARTUP_LENGTH);
        if (!frame) break;
        if ('error' in frame) {
          this.fail(conn, errorResponse('08P01', frame.error));
          break;
        }
        conn.current = this.handle(conn, frame.type, frame.body, frame.raw);
        await conn.current;
      }
    } catch {
      conn.socket.destroy();
    } finally {
      conn.busy = false;
      if (conn.phase !== 'closed') conn.socket.resume();
    }
  }

  private async handle(conn: Connection, type: number | undefined, body: Buffer, raw: Buffer): Promise<void> {
    switch (conn.phase) {
      case 'startup':
        return this.startup(conn, body);
      case 'sasl-initial':
      case 'sasl-final':
        return this.authenticate(conn, type, body);
      case 'ready':
        if (type === TERMINATE) {
          conn.phase = 'closed';
          conn.socket.end();
          return;
        }
        if (type === undefined || !FORWARDED_TYPES.has(type)) {
          this.fail(conn, errorResponse('08P01', `invalid frontend message type ${type}`));
          return;
        }
        await this.acquire(conn);
        await this.run(conn, raw);
        if ((type === SYNC || type === QUERY) && !this.db.isInTransaction()) await this.release(conn, false);
        return;
      default:
        return;
    }
  }

  private startup(conn: Connection, body: Buffer): void {
    const code = body.readInt32BE(0);
    if (body.length === 4 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
      conn.socket.write('N'); // no TLS nor GSS on a loopback socket; the client goes on in plain text
      return;
    }
    if (code === CANCEL_REQUEST) {
      this.fail(conn, Buffer.alloc(0)); // not supported; Postgres closes without an answer too
      return;
    }
    if (code !== PROTOCOL_3) {
      this.fail(conn, errorResponse('0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`));
      return;
    }
    const params = startupParameters(body.subarray(4));
    const user = params?.get('user');
    if (!params || !user) {
      this.fail(conn, errorResponse('28000', 'no PostgreSQL user name specified in startup packet'));
      return;
    }
    conn.user = user;
    conn.scram = new ScramExchange(this.verifier);
    conn.phase = 'sasl-initial';
    conn.socket.write(authentication(10, Buffer.from(`${SCRAM_MECHANISM}\0\0`, 'latin1')));
  }

  private async authenticate(conn: Connection, type: number | undefined, body: Buffer): Promise<void> {
    const scram = conn.scram;
    const answer = type !== PASSWORD || !scram ? undefined : conn.phase === 'sasl-initial' ? scram.first(body) : scram.final(body);
    if (answer === undefined) {
      const user = conn.user.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
      this.fail(conn, errorResponse('28P01', `password authentication failed for user "${user}"`));
      return;
    }
    if (conn.phase === 'sasl-initial') {
      conn.phase = 'sasl-final';
      conn.socket.write(authentication(11, Buffer.from(answer)));
      return;
    }
    conn.phase = 'ready';
    conn.scram = undefined;
    conn.socket.write(authentication(12, Buffer.from(answer)));
    // PGlite answers the startup with AuthenticationOk, the parameters and ReadyForQuery.
    await this.acquire(conn);
    await this.run(conn, canonicalStartup());
    if (!this.db.isInTransaction()) await this.release(conn, false);
  }

  private run(conn: Connection, message: Buffer): Promise<void> {
    return this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(message), {
        onRawData: (data) => {
          if (conn.phase === 'closed' || !conn.socket.writable) return;
          conn.socket.write(data);
          // A client that does not read its answers is not buffered for without bound.
          if (conn.socket.writableLength > MAX_MESSAGE_LENGTH) conn.socket.destroy();
        },
      }),
    );
  }

  /** Answers (an error, if any) and closes; a peer that never closes its side is cut off. */
  private fail(conn: Connection, answer: Buffer): void {
    conn.phase = 'closed';
    this.refuse(conn.socket, answer);
  }

  private refuse(socket: Socket, answer: Buffer): void {
    socket.end(answer);
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  private acquire(conn: Connection): Promise<void> {
    if (conn.phase === 'closed') return Promise.reject(new Error('client gone'));
    if (this.owner === conn) return Promise.resolve();
    if (!this.owner) {
      this.owner = conn;
      return Promise.resolve();
    }
    return new Promise((grant, refuse) => this.waiting.push({ conn, grant, refuse }));
  }

  /**
   * Hands the session on. A client that went away is cleaned up first: an extended-protocol
   * sequence it left unfinished is ended (else the next client's messages would be skipped until
   * a Sync) and its transaction rolled back.
   */
  private async release(conn: Connection, closed: boolean): Promise<void> {
    if (this.owner !== conn) return;
    if (closed) {
      for (const m of resetMessages()) await this.db.runExclusive(() => this.db.execProtocolRaw(new Uint8Array(m))).catch(() => undefined);
      if (this.db.isInTransaction()) await this.db.exec('rollback').catch(() => undefined);
    }
    const next = this.waiting.shift();
    this.owner = next?.conn;
    next?.grant();
  }
}
