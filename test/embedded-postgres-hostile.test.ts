import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { embeddedPostgresPasswordPath, startEmbeddedPostgres, type EmbeddedPostgres } from '../scripts/embedded/postgres';
import { prng } from './support/fuzz';
import { freePort } from './support/ports';

const PROTOCOL_3 = 196608;

function startupPacket(params: string): Buffer {
  const body = Buffer.from(params, 'latin1');
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(PROTOCOL_3, 4);
  body.copy(b, 8);
  return b;
}

function message(type: string, body: Buffer | string): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const b = Buffer.alloc(5 + data.length);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(4 + data.length, 1);
  data.copy(b, 5);
  return b;
}

function code(requestCode: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(requestCode, 4);
  return b;
}

/** Sends `bytes` on a fresh socket, half-closes it (unless told to keep it open), and collects all that comes back until the server closes. */
function exchange(port: number, bytes: Buffer[], opts: { end?: boolean; destroyAfterWrite?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
      if (opts.destroyAfterWrite) s.destroy();
      else if (opts.end !== false) s.end();
    });
  });
}

/** The SQLSTATE of the first ErrorResponse in `data`, if any. */
function errorCode(data: Buffer): string | undefined {
  let i = 0;
  while (i + 5 <= data.length) {
    const type = String.fromCharCode(data[i]);
    const len = data.readInt32BE(i + 1);
    if (type === 'E') {
      const fields = data.subarray(i + 5, i + 1 + len).toString('latin1').split('\0');
      return fields.find((f) => f.startsWith('C'))?.slice(1);
    }
    if (type === 'N' && len === 0) return undefined;
    i += 1 + len;
  }
  return undefined;
}

/** The raw socket under a pg client that has signed in: hostile bytes after authentication. */
async function signedInSocket(url: string): Promise<{ client: Client; socket: Socket; closed: Promise<void> }> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { client, socket, closed };
}

/** The embedded database of `npm start` against clients that do not play by the rules (issue #15). */
describe('the embedded Postgres against hostile clients', function () {
  this.timeout(120000);
  let dir: string;
  let pg: EmbeddedPostgres;
  let port: number;
  let pool: Pool;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octopus-pglite-hostile-'));
    port = await freePort();
    pg = await startEmbeddedPostgres(join(dir, 'db'), port);
    pool = new Pool({ connectionString: pg.url, max: 3 });
    await pool.query('create table kept (k int primary key)');
    await pool.query('insert into kept values (1), (2), (3)');
  });
  after(async () => {
    await pool?.end();
    await pg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stillServes = async () => {
    const r = await pool.query<{ n: number }>('select count(*)::int as n from kept');
    assert.equal(r.rows[0].n, 3);
  };

  it('keeps a random password with mode 0600 beside the data, on 127.0.0.1, in the URL', () => {
    const url = new URL(pg.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok(url.password.length >= 20, 'the URL carries the password');
    assert.equal(statSync(embeddedPostgresPasswordPath(join(dir, 'db'))).mode & 0o777, 0o600);
  });

  it('refuses a client without the password: the server asks for SCRAM-SHA-256 and answers 28P01', async () => {
    const noPassword = new URL(pg.url);
    noPassword.password = '';
    const c = new Client({ connectionString: noPassword.toString() });
    await assert.rejects(c.connect(), /password/);
    await c.end().catch(() => undefined);
    // A client that answers the request with an empty password message.
    const got = await exchange(port, [startupPacket('user\0postgres\0database\0postgres\0\0'), message('p', '\0')], { end: false });
    assert.equal(String.fromCharCode(got[0]), 'R');
    assert.equal(got.readInt32BE(5), 10, 'AuthenticationSASL');
    assert.match(got.toString('latin1'), /SCRAM-SHA-256/);
    assert.equal(errorCode(got), '28P01');
    // One that sends a query instead.
    const query = await exchange(port, [startupPacket('user\0postgres\0\0'), message('Q', 'select username, operator from auth_users\0')], { end: false });
    assert.equal(errorCode(query), '28P01');
  });

  it('refuses a wrong password with 28P01', async () => {
    const wrong = new URL(pg.url);
    wrong.password = randomBytes(18).toString('base64url'); // any other than the kept one
    const c = new Client({ connectionString: wrong.toString() });
    await assert.rejects(c.connect(), (err: Error & { code?: string }) => {
      assert.equal(err.code, '28P01');
      return true;
    });
    await c.end().catch(() => undefined);
  });

  it('serves the right password', async () => {
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    assert.equal((await c.query<{ s: number }>('select 40 + 2 as s')).rows[0].s, 42);
    await c.end();
  });

  it('survives 00 00 00 01 (it killed npm start)', async () => {
    await exchange(port, [Buffer.from([0, 0, 0, 1])]);
    await exchange(port, [Buffer.from([0, 0, 0, 1])], { end: false });
    await stillServes();
  });

  it('answers N to SSLRequest and GSSENCRequest, and drops a CancelRequest', async () => {
    const ssl = await exchange(port, [code(80877103)]);
    assert.equal(ssl.toString('latin1', 0, 1), 'N');
    const gss = await exchange(port, [code(80877104)]);
    assert.equal(gss.toString('latin1', 0, 1), 'N');
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    await exchange(port, [cancel], { end: false });
    await stillServes();
  });

  it('refuses a message longer than 64 MiB with an error and closes that socket, also after sign-in', async () => {
    const huge = Buffer.alloc(8);
    huge.writeInt32BE(0x7fffffff, 0);
    huge.writeInt32BE(PROTOCOL_3, 4);
    assert.ok(errorCode(await exchange(port, [huge], { end: false })));
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 3, 0, 0]);
    assert.ok(errorCode(await exchange(port, [negative], { end: false })));

    const { client, socket, closed } = await signedInSocket(pg.url);
    const header = Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]); // 'Q' of 2 GiB
    socket.write(header);
    await closed;
    await client.end().catch(() => undefined);
    await stillServes();
  });

  it('survives a fuzz of random and hostile byte sequences from many sockets, and still serves', async () => {
    const rand = prng(15);
    const byte = () => Math.floor(rand() * 256);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, byte));
    const int32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v | 0, 0);
      return b;
    };
    const lengths = [0, 1, 3, 4, 7, 8, 9, -1, -8, 0x7fffffff, 0x4000001, 10001, 65536];
    const sequences: Buffer[][] = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      const start = startupPacket('user\0postgres\0database\0postgres\0\0');
      if (kind === 0) sequences.push([bytes(Math.floor(rand() * 64))]);
      else if (kind === 1) sequences.push([int32(lengths[i % lengths.length]), bytes(Math.floor(rand() * 16))]);
      else if (kind === 2) sequences.push([start.subarray(0, Math.floor(rand() * start.length))]);
      else if (kind === 3) sequences.push([code([80877103, 80877104, 80877102][i % 3]), bytes(Math.floor(rand() * 40))]);
      else if (kind === 4) sequences.push([start, message('p', bytes(Math.floor(rand() * 40))), bytes(Math.floor(rand() * 8))]);
      else sequences.push([start, Buffer.from([byte()]), int32(lengths[i % lengths.length]), bytes(Math.floor(rand() * 20))]);
    }
    for (let i = 0; i < sequences.length; i += 30) {
      await Promise.all(sequences.slice(i, i + 30).map((seq, k) => exchange(port, seq, { destroyAfterWrite: k % 3 === 0 })));
    }
    // After sign-in: garbage of every message type from a few signed-in clients.
    for (let round = 0; round < 20; round++) {
      const { client, socket, closed } = await signedInSocket(pg.url);
      const type = String.fromCharCode(round % 2 === 0 ? byte() : 'BCdcfDEHFPQSZq'.charCodeAt(round % 14));
      socket.write(message(type, bytes(Math.floor(rand() * 30))));
      socket.end();
      await closed;
      await client.end().catch(() => undefined);
    }
    await stillServes();
    assert.ok(process.pid > 0);
  });

  it('rolls back and frees the session of a client that dies in the middle of begin', async () => {
    const { client, socket, closed } = await signedInSocket(pg.url);
    await client.query('begin');
    await client.query('insert into kept values (100)');
    // Half a query, then gone.
    socket.write(message('Q', 'insert into kept values (101)\0').subarray(0, 12));
    socket.destroy();
    await closed;
    await stillServes();

    // One that leaves a failed extended-protocol sequence without Sync.
    const second = await signedInSocket(pg.url);
    second.socket.write(Buffer.concat([message('P', '\0selec oops\0\0\0'), message('B', '\0\0\0\0\0\0\0\0')]));
    second.socket.destroy();
    await second.closed;
    await stillServes();
    assert.equal((await pool.query<{ s: number }>('select $1::int + $2::int as s', [1, 2])).rows[0].s, 3);
  });

  it('bounds the number of connections: the excess is refused with 53300, and the rest go on', async () => {
    const idle: Socket[] = [];
    const refused: Array<Promise<Buffer>> = [];
    for (let i = 0; i < 110; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve());
        const got: Buffer[] = [];
        s.on('data', (d) => got.push(d));
        s.on('error', () => undefined);
        refused.push(new Promise((r) => s.on('close', () => r(Buffer.concat(got)))));
        idle.push(s);
      });
    }
    // Signed-in pool connections count too, so at least the last ten are over any limit of 100.
    const answers = await Promise.all(refused.slice(100));
    for (const s of idle) s.destroy();
    for (const a of answers) assert.equal(errorCode(a), '53300');
    await Promise.all(refused);
    await stillServes();
  });
});
