import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { queryConsumption } from '../lib/energy/consumption';
import { DAY_MS, ROLLUP_5M_MS } from '../lib/history/buckets';
import { ensureDayPartitions, runHistoryMaintenance } from '../lib/history/history-maintenance';
import { round, table, type Figures } from './support/figures';
import { benchDatabase, timed } from './support/bench-database';

const DATABASE = 'octopus_bench_energy';
const ZONE = 'Europe/Madrid';
// The bench's injected clock: a fixed year keeps the table reusable between runs (loading and rolling it up takes minutes).
const YEAR = 2025;
const FROM = Date.UTC(YEAR, 0, 1) - 3_600_000; // local midnight, 1 January (UTC+1)
const TO = Date.UTC(YEAR + 1, 0, 1) - 3_600_000;
const COUNTERS = [
  { deviceId: 'bench-house/cocina/contador', attribute: 'energy', unit: 'kWh', step: 0.004, factor: 1 },
  { deviceId: 'bench-house/salon/enchufe', attribute: 'energy_total', unit: 'Wh', step: 1.5, factor: 0.001 },
  { deviceId: 'bench-house/lavadero/agua', attribute: 'volume', unit: 'm³', step: 0.0002, factor: 1 },
];
const MINUTES = Math.round((TO - FROM) / 60_000);
const LAYOUT = `v1:${COUNTERS.length}x${MINUTES}@${FROM}`;

/**
 * One house, a year of 1-minute readings from three counters (electricity in kWh and in Wh,
 * water in m³; 1.58 million readings), rolled up by the real maintenance, kept between runs.
 * Measured: the twelve monthly totals of the house as the API computes them (hourly rollups,
 * local months), and as a baseline the same totals from the raw readings (a window over every row).
 */
export async function runConsumptionBench(): Promise<Figures> {
  const pool = new Pool({ connectionString: await benchDatabase(DATABASE), max: 2 });
  try {
    const made = await prepare(pool);
    const series = COUNTERS.filter((c) => c.unit !== 'm³').map((c) => ({ deviceId: c.deviceId, attribute: c.attribute, factor: c.factor }));
    const monthly = await timed(10, () =>
      queryConsumption(pool, { timeZone: ZONE, period: 'month', from: FROM, to: TO, series, previous: false, now: TO + DAY_MS, maxBuckets: 1000 }),
    );
    const raw = await timed(3, () =>
      pool.query(
        `select date_trunc('month', ts, $4) as month, sum(octopus_counter_step(prev, v) * f) as used
           from (select ts, num as v, lag(num) over (partition by device_id, attribute order by ts) as prev,
                        case when unit = 'Wh' then 0.001 else 1 end as f
                   from readings where device_id = any($1) and ts >= $2 and ts < $3) r
          group by 1 order by 1`,
        [series.map((s) => s.deviceId), new Date(FROM), new Date(TO), ZONE],
      ),
    );
    const months = monthly.result.buckets;
    console.log(
      table([
        { query: '1 year, 12 monthly totals (API: hourly rollups)', median_ms: monthly.median, p95_ms: monthly.p95, rows: months.length },
        { query: 'baseline: the same from every raw reading', median_ms: raw.median, p95_ms: raw.p95, rows: raw.result.rowCount ?? 0 },
      ]),
    );
    const rawTotal = raw.result.rows.reduce((a: number, r: { used: number }) => a + r.used, 0);
    console.log(`year total ${monthly.result.total} kWh (raw baseline ${round(rawTotal, 3)} kWh); months ${months.map((m) => round(m.total, 1)).join(', ')}`);
    return {
      ...made,
      consumption_1y_readings: COUNTERS.length * MINUTES,
      consumption_1y_monthly_ms: monthly.median,
      consumption_1y_monthly_p95_ms: monthly.p95,
      consumption_1y_monthly_raw_ms: raw.median,
      consumption_1y_speedup_vs_raw: round(raw.median / monthly.median, 1),
    };
  } finally {
    await pool.end();
  }
}

async function prepare(pool: Pool): Promise<Figures> {
  await migrate(pool);
  await pool.query('create table if not exists bench_layout (layout text primary key, load_s float8, rollup_s float8)');
  const done = await pool.query<{ load_s: number; rollup_s: number }>('select load_s, rollup_s from bench_layout where layout = $1', [LAYOUT]);
  if (done.rows[0]) {
    console.log(`reusing a year of 1-minute readings in ${DATABASE} (--fresh rebuilds)`);
    return { consumption_1y_load_s: done.rows[0].load_s, consumption_1y_rollup_s: done.rows[0].rollup_s };
  }
  await pool.query('truncate readings, readings_5m, readings_1h, rollup_pending, bench_layout, devices cascade');
  await ensureDayPartitions(pool, Math.floor(FROM / DAY_MS) * DAY_MS, TO);
  console.log(`loading ${(COUNTERS.length * MINUTES).toLocaleString('en')} readings (a year, every minute, ${COUNTERS.length} counters)…`);
  const t0 = Date.now();
  for (const c of COUNTERS) {
    // Busier by day than by night, and a meter reset in June.
    await pool.query(
      `insert into readings (device_id, attribute, ts, num, unit, device_ts)
       select $1, $2, t, round((sum(case when extract(hour from t) between 7 and 22 then $3::float8 * 1.6 else $3::float8 * 0.4 end)
                                over (partition by t >= $6::timestamptz order by t))::numeric, 4), $4, true
         from (select to_timestamp(($5::float8 + g::float8 * 60000) / 1000) as t from generate_series(0, $7::int - 1) g) x`,
      [c.deviceId, c.attribute, c.step, c.unit, FROM, new Date(Date.UTC(YEAR, 5, 15)), MINUTES],
    );
  }
  const loadS = round((Date.now() - t0) / 1000, 1);
  await pool.query(
    `insert into rollup_pending (bucket) select to_timestamp(($1::float8 + g * $2::float8) / 1000) from generate_series(0, $3::int - 1) g on conflict do nothing`,
    [FROM, ROLLUP_5M_MS, Math.ceil((TO - FROM) / ROLLUP_5M_MS)],
  );
  console.log(`loaded in ${loadS} s; rolling up…`);
  const t1 = Date.now();
  for (;;) {
    const r = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => TO + DAY_MS, bucketsPerRun: 5000, partitionsAhead: 0 });
    process.stdout.write(`\r  backlog ${r.backlog}   `);
    if (r.backlog === 0) break;
  }
  const rollupS = round((Date.now() - t1) / 1000, 1);
  console.log(`\nrolled up in ${rollupS} s`);
  await pool.query('vacuum analyze');
  await pool.query('insert into bench_layout values ($1, $2, $3)', [LAYOUT, loadS, rollupS]);
  return { consumption_1y_load_s: loadS, consumption_1y_rollup_s: rollupS };
}
