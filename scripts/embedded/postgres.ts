import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { PgliteServer } from './pglite-server';

/** Where the embedded database's password is kept: beside its data directory, mode 600. */
export function embeddedPostgresPasswordPath(dataDir: string): string {
  return `${dataDir}-password`;
}

/** The kept password of the embedded database in `dataDir`, if it was made. */
export function readEmbeddedPostgresPassword(dataDir: string): string | undefined {
  const path = embeddedPostgresPasswordPath(dataDir);
  return (existsSync(path) && readFileSync(path, 'utf8').trim()) || undefined;
}

/** The password of the embedded database in `dataDir`, made (random, mode 600) at the first start. */
function ensureEmbeddedPostgresPassword(dataDir: string): string {
  const path = embeddedPostgresPasswordPath(dataDir);
  const kept = readEmbeddedPostgresPassword(dataDir);
  const password = kept ?? randomBytes(24).toString('base64url');
  if (!kept) writeFileSync(path, `${password}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return password;
}

/** The URL `npm start` gives the app (DATABASE_URL) for the embedded database in `dataDir` on `port`. */
export function embeddedPostgresUrl(dataDir: string, port: number, host = '127.0.0.1'): string {
  const password = readEmbeddedPostgresPassword(dataDir);
  if (!password) throw new Error(`no password in ${embeddedPostgresPasswordPath(dataDir)}: the embedded database has not started there`);
  return `postgres://postgres:${password}@${host}:${port}/postgres`;
}

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), with its data in `dataDir`, served on a local
 * Postgres socket so the same `pg` code talks to it as to a real server. The socket listens on
 * loopback only and wants the password of `<dataDir>-password` (SCRAM-SHA-256).
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedPostgres> {
  const host = '127.0.0.1'; // never another interface: the socket is for this machine's app
  mkdirSync(dataDir, { recursive: true });
  const password = ensureEmbeddedPostgresPassword(dataDir);
  const db = await PGlite.create(dataDir);
  // PGlite is one session: the server lends it to one client's unit of work at a time.
  const server = new PgliteServer(db, { password });
  const address = await server.listen(port, host);
  return {
    url: embeddedPostgresUrl(dataDir, address, host),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}
