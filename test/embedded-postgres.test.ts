import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../scripts/embedded/postgres';
import { freePort } from './support/ports';

/** The embedded database of `npm start` (PGlite behind a Postgres socket) under concurrent clients. */
describe('the embedded Postgres with many connections at once', function () {
  this.timeout(60000);
  let dir: string;
  let pg: EmbeddedPostgres;
  let pools: Pool[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octopus-pglite-'));
    pg = await startEmbeddedPostgres(join(dir, 'db'), await freePort());
    pools = [new Pool({ connectionString: pg.url, max: 4 }), new Pool({ connectionString: pg.url, max: 4 })];
    await pools[0].query('create table t (k int primary key, v text)');
  });
  after(async () => {
    for (const p of pools ?? []) await p.end();
    await pg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never mixes one client\'s parameterized query with another\'s', async () => {
    // Different parameter counts make an interleaved Parse/Bind fail loudly instead of quietly.
    const work: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const pool = pools[i % 2];
      if (i % 2 === 0) {
        work.push(pool.query<{ s: number }>('select $1::int + $2::int + $3::int as s', [i, 1, 2]).then((r) => assert.equal(r.rows[0].s, i + 3)));
      } else {
        work.push(pool.query<{ s: string }>('select $1::text || $2::text || $3::text || $4::text || $5::text as s', ['a', 'b', String(i), 'd', 'e']).then((r) => assert.equal(r.rows[0].s, `ab${i}de`)));
      }
    }
    await Promise.all(work);
  });

  it('keeps each client\'s transaction its own: a rollback takes back only that client\'s rows', async () => {
    const txn = async (pool: Pool, k: number, commit: boolean) => {
      const c = await pool.connect();
      try {
        await c.query('begin');
        await c.query('insert into t values ($1, $2)', [k, 'x']);
        await new Promise((r) => setTimeout(r, 5));
        await c.query('insert into t values ($1, $2)', [k + 1000, 'y']);
        await c.query(commit ? 'commit' : 'rollback');
      } finally {
        c.release();
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => txn(pools[i % 2], i, i % 3 !== 0)));
    const keys = (await pools[0].query<{ k: number }>('select k from t order by k')).rows.map((r) => r.k);
    const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 !== 0);
    assert.deepEqual(keys, [...expected, ...expected.map((k) => k + 1000)]);
  });

  it('serves queries of other clients while transactions run (the per-message queue hung here)', async () => {
    await pools[0].query('create table u (k int primary key)');
    const txn = async (k: number) => {
      const c = await pools[0].connect();
      try {
        await c.query('begin');
        await c.query('insert into u values ($1)', [k]);
        assert.equal((await c.query<{ s: number }>('select $1::int + $2::int + $3::int + $4::int + $5::int as s', [1, 2, 3, 4, k])).rows[0].s, 10 + k);
        await c.query('commit');
      } finally {
        c.release();
      }
    };
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 300; i++) {
      work.push(txn(i));
      work.push(pools[1].query<{ s: number }>('select $1::int + $2::int + $3::int as s', [i, 1, 2]).then((r) => assert.equal(r.rows[0].s, i + 3)));
    }
    await Promise.all(work);
    assert.equal((await pools[1].query<{ n: number }>('select count(*)::int as n from u')).rows[0].n, 300);
  });

  it('rolls back the open transaction of a client that disconnects, and serves the others on', async () => {
    const c = await pools[1].connect();
    await c.query('begin');
    await c.query('insert into t values (5000, $1)', ['orphan']);
    c.release(new Error('drop this connection'));
    const r = await pools[0].query<{ n: string }>('select count(*) as n from t where k = 5000');
    assert.equal(Number(r.rows[0].n), 0);
  });
});
