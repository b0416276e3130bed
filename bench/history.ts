import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { DAY_MS, ROLLUP_5M_MS } from '../lib/history/buckets';
import { ensureDayPartitions, runHistoryMaintenance } from '../lib/history/history-maintenance';
import { queryHistory, type HistoryQuery } from '../lib/history/history-query';
import { runConsumptionBench } from './consumption';
import { percentile, round, table, type Figures } from './support/figures';
import { benchDatabase } from './support/bench-database';

const DATABASE = 'octopus_bench_history';
const SERIES = 20;
const PER_SERIES = 500_000;
const TOTAL = SERIES * PER_SERIES;
const SPAN_MS = 30 * DAY_MS;
// A fixed end keeps the table reusable between runs: generating 10M rows takes minutes.
const DATA_END = Date.UTC(2026, 10, 1);
const STEP_MS = SPAN_MS / PER_SERIES;
const LAYOUT = `v1:${SERIES}x${PER_SERIES}@${DATA_END}`;

/**
 * A 30-day chart of one attribute on a 10M-reading table. The bench makes the table once (20
 * series of 500k readings, one every 5.2 s for 30 days, in daily partitions, rolled up by the real
 * maintenance) and keeps it between runs (`--fresh` rebuilds it). Measured in the same run:
 * the history query the API runs (hourly rollups plus the raw tail), and two baselines on the same
 * data — the same buckets computed from the raw rows, and fetching every raw row of the month.
 */
export async function runHistoryBench(): Promise<Figures> {
  const url = await benchDatabase(DATABASE);
  const pool = new Pool({ connectionString: url, max: 2 });
  const figures: Figures = {};
  try {
    Object.assign(figures, await prepare(pool));
    const deviceId = 'bench/plant/meter-7';
    const q = (rangeMs: number): HistoryQuery => ({ deviceId, attribute: 'power', from: DATA_END - rangeMs, to: DATA_END, maxPoints: 1000, now: DATA_END });

    const month = await timed(20, () => queryHistory(pool, q(SPAN_MS)));
    const week = await timed(20, () => queryHistory(pool, q(7 * DAY_MS)));
    const day = await timed(20, () => queryHistory(pool, q(DAY_MS)));
    const rawBucketed = await timed(5, () =>
      pool.query(
        `select date_bin('1 hour', ts, timestamptz 'epoch') as bucket, count(*), avg(num), min(num), max(num)
           from readings where device_id = $1 and attribute = 'power' and ts >= $2 and ts < $3 group by 1 order by 1`,
        [deviceId, new Date(DATA_END - SPAN_MS), new Date(DATA_END)],
      ),
    );
    const rawRows = await timed(3, () =>
      pool.query("select ts, num from readings where device_id = $1 and attribute = 'power' and ts >= $2 and ts < $3 order by ts", [
        deviceId,
        new Date(DATA_END - SPAN_MS),
        new Date(DATA_END),
      ]),
    );
    console.log(
      table([
        { query: '30 d, history API query (1h rollups + raw tail)', median_ms: month.median, p95_ms: month.p95, points_or_rows: month.result.points.length, source: month.result.source },
        { query: '7 d, history API query', median_ms: week.median, p95_ms: week.p95, points_or_rows: week.result.points.length, source: week.result.source },
        { query: '24 h, history API query', median_ms: day.median, p95_ms: day.p95, points_or_rows: day.result.points.length, source: day.result.source },
        { query: 'baseline: 30 d hourly buckets from raw rows', median_ms: rawBucketed.median, p95_ms: rawBucketed.p95, points_or_rows: rawBucketed.result.rowCount ?? 0, source: 'raw' },
        { query: 'baseline: 30 d of raw rows to the client', median_ms: rawRows.median, p95_ms: rawRows.p95, points_or_rows: rawRows.result.rowCount ?? 0, source: 'raw' },
      ]),
    );
    Object.assign(figures, {
      history_rows: TOTAL,
      history_30d_ms: month.median,
      history_30d_p95_ms: month.p95,
      history_points: month.result.points.length,
      history_7d_ms: week.median,
      history_24h_ms: day.median,
      history_24h_points: day.result.points.length,
      history_30d_raw_bucketed_ms: rawBucketed.median,
      history_30d_raw_rows_ms: rawRows.median,
      history_speedup_vs_raw_bucketed: round(rawBucketed.median / month.median, 1),
    });
  } finally {
    await pool.end();
  }
  // Energy: a year of one house's counters summed by month (bench/consumption.ts, its own database).
  Object.assign(figures, await runConsumptionBench());
  const out = resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'history.json'), JSON.stringify({ at: new Date().toISOString(), figures }, null, 2) + '\n');
  return figures;
}

async function timed<T>(runs: number, work: () => Promise<T>): Promise<{ median: number; p95: number; result: T }> {
  let result = await work(); // warm-up: plans and pages cached, as for a dashboard in use
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = await work();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: round(percentile(ms, 50), 2), p95: round(percentile(ms, 95), 2), result };
}


/** Makes the 10M-row history unless a previous run left exactly this layout. */
async function prepare(pool: Pool): Promise<Figures> {
  await migrate(pool);
  await pool.query('create table if not exists bench_layout (layout text primary key, load_s float8, rollup_s float8)');
  const done = await pool.query<{ load_s: number; rollup_s: number }>('select load_s, rollup_s from bench_layout where layout = $1', [LAYOUT]);
  if (done.rows[0]) {
    console.log(`reusing ${TOTAL.toLocaleString('en')} readings in ${DATABASE} (made earlier: load ${done.rows[0].load_s} s, rollups ${done.rows[0].rollup_s} s; --fresh rebuilds)`);
    return { history_load_s: done.rows[0].load_s, history_rollup_s: done.rows[0].rollup_s };
  }
  await pool.query('truncate readings, readings_5m, readings_1h, rollup_pending, bench_layout');
  const start = DATA_END - SPAN_MS;
  await ensureDayPartitions(pool, start, DATA_END);
  console.log(`loading ${TOTAL.toLocaleString('en')} readings (${SERIES} series × ${PER_SERIES.toLocaleString('en')}, one per ${(STEP_MS / 1000).toFixed(1)} s over 30 days)…`);
  const t0 = Date.now();
  for (let s = 0; s < SERIES; s++) {
    // A daily cycle plus noise, so min/mean/max differ per bucket like a real meter's.
    await pool.query(
      `insert into readings (device_id, attribute, ts, num, unit, device_ts, received_at)
       select $1, 'power', t, round((500 + 300 * sin(extract(epoch from t) / 13751) + random() * 80)::numeric, 1), 'W', true, t
         from (select to_timestamp(($2::float8 + g * $3::float8) / 1000) as t from generate_series(0, $4::int - 1) g) x`,
      [`bench/plant/meter-${s}`, start, STEP_MS, PER_SERIES],
    );
    process.stdout.write(`\r  ${(((s + 1) / SERIES) * 100).toFixed(0)} % (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  const loadS = round((Date.now() - t0) / 1000, 1);
  console.log(`\nloaded in ${loadS} s; marking and rolling up…`);
  await pool.query(
    `insert into rollup_pending (bucket)
     select to_timestamp(($1::float8 + g * $2::float8) / 1000) from generate_series(0, $3::int - 1) g on conflict do nothing`,
    [start, ROLLUP_5M_MS, SPAN_MS / ROLLUP_5M_MS],
  );
  const t1 = Date.now();
  let rolled = 0;
  for (;;) {
    // The real maintenance, as a deployment runs it, with the clock at the data's end.
    const r = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => DATA_END, bucketsPerRun: 1000, partitionsAhead: 0 });
    rolled += r.bucketsRolledUp;
    if (r.backlog === 0) break;
  }
  const rollupS = round((Date.now() - t1) / 1000, 1);
  console.log(`rolled up ${rolled} five-minute buckets in ${rollupS} s (${Math.round(TOTAL / rollupS).toLocaleString('en')} readings/s)`);
  await pool.query('vacuum analyze');
  await pool.query('insert into bench_layout values ($1, $2, $3)', [LAYOUT, loadS, rollupS]);
  return { history_load_s: loadS, history_rollup_s: rollupS };
}
