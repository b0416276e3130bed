import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { streamExport } from '../lib/export/export-stream';
import type { ExportQuery } from '../lib/export/export-query';
import { DAY_MS } from '../lib/history/buckets';
import { ensureDayPartitions } from '../lib/history/history-maintenance';
import { benchDatabase } from './support/bench-database';
import { round, table, type Figures } from './support/figures';

const DATABASE = 'octopus_bench_export';
const SITE = 'bench-export';
const DEVICES = 10;
const PER_DEVICE = 100_000;
// The bench's injected clock: a fixed day keeps the table reusable between runs.
const DAY = Date.UTC(2025, 5, 1);
const LAYOUT = `v1:${DEVICES}x${PER_DEVICE}@${DAY}`;
const MB = 2 ** 20;

/**
 * `npm run bench -- export`: a million readings of one site exported as CSV and as NDJSON through
 * the export the API streams (server-side cursor, back-pressure) into a sink that throws the
 * bytes away, with the process's RSS sampled every 10 ms. Baseline in the same run: the same rows
 * read with one plain query and written as one CSV string, as a non-streaming export would.
 */
export async function runExportBench(): Promise<Figures> {
  const pool = new Pool({ connectionString: await benchDatabase(DATABASE), max: 2 });
  try {
    await prepare(pool);
    const q: ExportQuery = { site: SITE, from: DAY, to: DAY + DAY_MS, resolution: 'raw', timeZone: 'Europe/Madrid', now: DAY + 2 * DAY_MS };
    global.gc?.();
    const csv = await measure(() => streamExport(pool, q, 'csv', sink()).then((o) => o.rows));
    const ndjson = await measure(() => streamExport(pool, q, 'ndjson', sink()).then((o) => o.rows));
    const buffered = await measure(async () => {
      const res = await pool.query(
        `select r.ts, r.device_id, d.site, d.room, d.device, r.attribute, r.num, r.unit from readings r join devices d using (device_id)
          where d.site = $1 and r.ts >= $2 and r.ts < $3 order by r.ts, r.device_id, r.attribute`,
        [SITE, new Date(q.from), new Date(q.to)],
      );
      const text = res.rows.map((r) => [r.ts.toISOString(), r.device_id, r.site, r.room, r.device, r.attribute, r.num, r.unit].join(',')).join('\r\n');
      return text.length > 0 ? res.rows.length : 0;
    });
    console.log(
      table([
        { export: 'CSV, streamed (API)', rows: csv.rows, seconds: csv.seconds, rows_per_s: csv.rate, peak_rss_mb: csv.peak, rss_growth_mb: csv.growth },
        { export: 'NDJSON, streamed (API)', rows: ndjson.rows, seconds: ndjson.seconds, rows_per_s: ndjson.rate, peak_rss_mb: ndjson.peak, rss_growth_mb: ndjson.growth },
        { export: 'baseline: one query, one CSV string', rows: buffered.rows, seconds: buffered.seconds, rows_per_s: buffered.rate, peak_rss_mb: buffered.peak, rss_growth_mb: buffered.growth },
      ]),
    );
    const figures = {
      export_rows: csv.rows,
      export_rows_per_s: csv.rate,
      export_peak_rss_mb: csv.peak,
      export_rss_growth_mb: csv.growth,
      export_ndjson_rows_per_s: ndjson.rate,
      export_ndjson_rss_growth_mb: ndjson.growth,
      export_buffered_rss_growth_mb: buffered.growth,
    };
    const out = resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'export.json'), JSON.stringify({ at: new Date().toISOString(), figures }, null, 2) + '\n');
    return figures;
  } finally {
    await pool.end();
  }
}

/** A sink that takes every chunk at once and keeps nothing, so the export's own pace is measured. */
function sink(): Writable {
  return new Writable({ decodeStrings: false, write: (_chunk, _enc, done) => done() });
}

async function measure(work: () => Promise<number>): Promise<{ rows: number; seconds: number; rate: number; peak: number; growth: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = process.hrtime.bigint();
  const rows = await work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { rows, seconds: round(seconds, 2), rate: Math.round(rows / seconds), peak: round(peak / MB, 1), growth: round((peak - base) / MB, 1) };
}

async function prepare(pool: Pool): Promise<void> {
  await migrate(pool);
  await pool.query('create table if not exists bench_layout (layout text primary key)');
  if ((await pool.query('select 1 from bench_layout where layout = $1', [LAYOUT])).rowCount) {
    console.log(`reusing ${(DEVICES * PER_DEVICE).toLocaleString('en')} readings in ${DATABASE} (--fresh rebuilds)`);
    return;
  }
  await pool.query('truncate readings, devices, bench_layout cascade');
  await ensureDayPartitions(pool, DAY, DAY);
  console.log(`loading ${(DEVICES * PER_DEVICE).toLocaleString('en')} readings…`);
  await pool.query(`insert into devices (device_id, site, room, device) select $1 || '/sala/m' || g, $1, 'sala', 'm' || g from generate_series(1, $2::int) g`, [SITE, DEVICES]);
  await pool.query(
    `insert into readings (device_id, attribute, ts, num, unit, device_ts)
     select $1 || '/sala/m' || d, 'energy', to_timestamp(($2::float8 + g * $5::float8) / 1000), round((1000 + g * 0.001)::numeric, 3), 'kWh', true
       from generate_series(1, $3::int) d, generate_series(0, $4::int - 1) g`,
    [SITE, DAY, DEVICES, PER_DEVICE, DAY_MS / PER_DEVICE],
  );
  await pool.query('vacuum analyze');
  await pool.query('insert into bench_layout values ($1)', [LAYOUT]);
}

