import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PG_TEST_URL } from './env';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the test server, so each run starts from nothing and runs may overlap. */
export async function createTestDatabase(prefix = 'octopus_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: PG_TEST_URL });
      await c.connect();
      try {
        // pg's pool.end() resolves before its sockets are closed: forcing the drop at once would
        // kill a connection that is saying goodbye, and its client would raise an unheard error.
        // Give closing connections a moment; force only what is really left open.
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            await c.query(`drop database if exists ${name}`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '55006') throw err; // object in use
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The `n` column of a one-row count query, on a connection of its own. */
export async function countRows(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql, params)).rows[0].n);
  } finally {
    await c.end();
  }
}
