import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
  // PGlite runs one query at a time; the socket server multiplexes client connections onto it.
  const server = new PGLiteSocketServer({ db, port, host, maxConnections: 32 });
  await server.start();
  const address = (server as unknown as { port: number }).port;
  return {
    url: `postgres://postgres@${host}:${address}/postgres`,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
