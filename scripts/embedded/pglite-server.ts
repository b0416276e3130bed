import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/**
 * A Postgres socket in front of PGlite, which is one session running one statement at a time.
 * Each client gets that session for a whole unit of work: from its first message until it ends
 * a query (Sync or a simple Query) outside a transaction. Other clients wait meanwhile, so an
 * extended-protocol sequence (Parse, Bind, Execute, Sync) or a transaction is never interleaved
 * with another client's — which a per-message queue does, making one client's Bind meet
 * another's Parse ("bind message supplies 3 parameters, but prepared statement requires 5").
 */
export class PgliteServer {
  private server: Server | undefined;
  private owner: Socket | undefined;
  private readonly waiting: Array<{ socket: Socket; grant: () => void }> = [];
  private readonly sockets = new Set<Socket>();

  constructor(private readonly db: PGlite) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let started = false;
    // Messages of one client run in order; its next chunk waits for the previous one.
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const messages: Buffer[] = [];
      for (;;) {
        const length = nextMessageLength(buffer, started);
        if (length === undefined || buffer.length < length) break;
        messages.push(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (!started && messages[messages.length - 1].readInt32BE(4) === PROTOCOL_3) started = true;
      }
      for (const m of messages) {
        chain = chain
          .then(() => this.handle(socket, m))
          .catch(() => {
            socket.destroy();
          });
      }
    });
    const gone = () => {
      this.sockets.delete(socket);
      chain = chain.then(() => this.release(socket, true));
    };
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
  }

  private async handle(socket: Socket, message: Buffer): Promise<void> {
    if (message.length === 8 && message.readInt32BE(4) === SSL_REQUEST) {
      socket.write('N'); // no TLS on a loopback socket; the client goes on in plain text
      return;
    }
    if (message.length === 16 && message.readInt32BE(4) === CANCEL_REQUEST) return; // not supported
    const type = message[0];
    if (type === TERMINATE) {
      socket.end();
      return;
    }
    await this.acquire(socket);
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(message), {
        onRawData: (data) => {
          if (socket.writable) socket.write(data);
        },
      }),
    );
    const isStartup = message.length >= 8 && message.readInt32BE(4) === PROTOCOL_3;
    if ((type === SYNC || type === QUERY || isStartup) && !this.db.isInTransaction()) await this.release(socket, false);
  }

  private acquire(socket: Socket): Promise<void> {
    if (this.owner === socket) return Promise.resolve();
    if (!this.owner) {
      this.owner = socket;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ socket, grant }));
  }

  /** Hands the session on; a client that vanished mid-transaction has its work rolled back first. */
  private async release(socket: Socket, closed: boolean): Promise<void> {
    if (closed) {
      const i = this.waiting.findIndex((w) => w.socket === socket);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    if (this.owner !== socket) return;
    if (closed && this.db.isInTransaction()) await this.db.exec('rollback').catch(() => undefined);
    const next = this.waiting.shift();
    this.owner = next?.socket;
    next?.grant();
  }
}

/** Bytes of the next complete message, or undefined while its length is not yet known. */
function nextMessageLength(buffer: Buffer, started: boolean): number | undefined {
  if (!started) {
    // Before the startup message: SSL and cancel requests, or the startup message itself, all
    // framed as a length (including itself) followed by a code.
    return buffer.length >= 4 ? buffer.readInt32BE(0) : undefined;
  }
  return buffer.length >= 5 ? 1 + buffer.readInt32BE(1) : undefined;
}
