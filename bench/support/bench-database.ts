import { Client } from 'pg';
import { PG_TEST_URL } from '../../test/support/env';

/** A bench's own database on the test server, kept between runs (`--fresh` drops it first); its URL. */
export async function benchDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: PG_TEST_URL });
  await admin.connect();
  try {
    if (process.argv.includes('--fresh')) await admin.query(`drop database if exists ${name} with (force)`);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Median and 95th percentile of `runs` timed runs after one warm-up. */
export async function timed<T>(runs: number, work: () => Promise<T>): Promise<{ median: number; p95: number; result: T }> {
  let result = await work();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = await work();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((p / 100) * ms.length) - 1))];
  return { median: Math.round(at(50) * 100) / 100, p95: Math.round(at(95) * 100) / 100, result };
}
