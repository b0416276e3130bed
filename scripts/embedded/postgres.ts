import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PgliteServer } from './pglite-server';

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), with its data in `dataDir`, served on a local
 * Postgres socket so the same `pg` code talks to it as to a real server.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, host = '127.0.0.1'): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // PGlite is one session: the server lends it to one client's unit of work at a time.
  const server = new PgliteServer(db);
  const address = await server.listen(port, host);
  return {
    url: `postgres://postgres@${host}:${address}/postgres`,
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}
