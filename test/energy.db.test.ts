import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { queryConsumption, type ConsumptionQuery } from '../lib/energy/consumption';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../lib/history/buckets';
import { ensureDayPartitions, runHistoryMaintenance } from '../lib/history/history-maintenance';
import type { Reading } from '../lib/model/reading';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * Consumption from counters against real Postgres: the real store writes the readings, the real
 * maintenance rolls them up, the consumption query reads the rollups. Dates are the test's
 * injected clock (a year in the future, Europe/Madrid's DST Sundays computed, not typed in).
 */
const ZONE = 'Europe/Madrid';
const YEAR = new Date(Date.now() + 3 * 365 * DAY_MS).getUTCFullYear();

function lastSunday(year: number, month: number): number {
  let d = Date.UTC(year, month + 1, 0);
  while (new Date(d).getUTCDay() !== 0) d -= DAY_MS;
  return d;
}
// Madrid is UTC+1 in winter, UTC+2 in summer; the clocks change at 01:00 UTC.
const SPRING = lastSunday(YEAR, 2); // 00:00 UTC of the day
const FALL = lastSunday(YEAR, 9);
const springDay = { start: SPRING - HOUR_MS, end: SPRING + DAY_MS - 2 * HOUR_MS }; // 23 h
const fallDay = { start: FALL - 2 * HOUR_MS, end: FALL + DAY_MS - HOUR_MS }; // 25 h
/** A plain winter day in Madrid (UTC+1), mid-February. */
const winterDay = { start: Date.UTC(YEAR, 1, 14) - HOUR_MS, end: Date.UTC(YEAR, 1, 15) - HOUR_MS };

const reading = (deviceId: string, attribute: string, value: number, ts: number, unit = 'kWh'): Reading => {
  const [site, room, device] = deviceId.split('/');
  return { deviceId, site, room, device, attribute, value, ts, deviceTs: true, unit };
};

describe('energy: consumption from counters in Postgres (resets, DST days, months, tariffs)', function () {
  this.timeout(120000);
  let db: TestDatabase;
  let pool: Pool;

  const store = async (readings: Reading[]) => {
    for (let i = 0; i < readings.length; i += 2000) await storeBatch(pool, [{ readings: readings.slice(i, i + 2000), deadLetters: [] }]);
  };
  /** Rolls everything up as the deployed maintenance would, with the clock after the data. */
  const rollUp = async (now: number) => {
    for (;;) {
      const r = await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => now, bucketsPerRun: 5000, partitionsAhead: 0 });
      if (r.backlog === 0) break;
    }
  };
  const consumption = (over: Partial<ConsumptionQuery> & Pick<ConsumptionQuery, 'series' | 'from' | 'to'>) =>
    queryConsumption(pool, { timeZone: ZONE, period: 'day', previous: false, now: Date.UTC(YEAR + 1, 0, 10), maxBuckets: 1000, ...over });

  before(async () => {
    db = await createTestDatabase('octopus_energy');
    pool = new Pool({ connectionString: db.url, max: 4 });
    await migrate(pool);
    await ensureDayPartitions(pool, Date.UTC(YEAR, 0, 1), Date.UTC(YEAR + 1, 0, 2));
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a meter that resets mid-day yields the day\'s real consumption, never a negative step', async () => {
    const id = 'casa/cocina/reset-meter';
    const step = 0.05;
    const readings = [reading(id, 'energy', 1000 - step, winterDay.start - 10 * MINUTE_MS)];
    // 144 readings every 10 minutes from local midnight; at 13:00 local (k = 78) the meter restarts near zero.
    for (let k = 0; k < 144; k++) {
      const value = k < 78 ? 1000 + step * k : step * (k - 77);
      readings.push(reading(id, 'energy', Number(value.toFixed(3)), winterDay.start + k * 10 * MINUTE_MS));
    }
    readings.push(reading(id, 'energy', Number((step * 67).toFixed(3)), winterDay.end)); // the next day's first
    await store(readings);
    await rollUp(winterDay.end + DAY_MS);

    const series = [{ deviceId: id, attribute: 'energy', factor: 1 }];
    const day = await consumption({ series, from: winterDay.start, to: winterDay.end });
    assert.equal(day.buckets.length, 1);
    assert.equal(day.buckets[0].start, new Date(winterDay.start).toISOString());
    assert.equal(day.buckets[0].hours, 24);
    assert.ok(Math.abs(day.total - 144 * step) < 1e-6, `day total ${day.total}, expected ${144 * step}`);

    const hours = await consumption({ series, from: winterDay.start, to: winterDay.end, period: 'hour' });
    assert.equal(hours.buckets.length, 24);
    assert.ok(hours.buckets.every((b) => b.total >= 0), JSON.stringify(hours.buckets.map((b) => b.total)));
    assert.ok(Math.abs(hours.buckets.reduce((a, b) => a + b.total, 0) - 144 * step) < 1e-6);
    // The reset's hour (12:00 UTC = 13:00 local) counts its six steps like any other.
    const resetHour = hours.buckets.find((b) => b.start === new Date(winterDay.start + 13 * HOUR_MS).toISOString())!;
    assert.ok(Math.abs(resetHour.total - 6 * step) < 1e-6, `reset hour ${resetHour.total}`);

    // The rollups say the same: no hour with a negative delta, the day's deltas plus steps add up.
    const neg = await pool.query("select count(*)::int as n from readings_1h where device_id = $1 and delta < 0", [id]);
    assert.equal(neg.rows[0].n, 0);
  });

  it('a day across a DST change has 23 or 25 hours and the right total; months equal the sum of their days', async () => {
    const id = 'casa/garaje/meter';
    // 1 kWh an hour in 30-minute steps, from a week before the spring change to a week after the fall one,
    // with a reset in May: every local day's total is its length in hours.
    const from = springDay.start - 7 * DAY_MS;
    const to = fallDay.end + 7 * DAY_MS;
    const readings: Reading[] = [];
    let value = 5000;
    const resetAt = Date.UTC(YEAR, 4, 10, 9, 7);
    for (let t = from; t <= to; t += 30 * MINUTE_MS) {
      readings.push(reading(id, 'energy', Number(value.toFixed(3)), t));
      value = t + 30 * MINUTE_MS > resetAt && t <= resetAt ? 0.5 : value + 0.5;
    }
    await store(readings);
    await rollUp(to + DAY_MS);
    const series = [{ deviceId: id, attribute: 'energy', factor: 1 }];

    const days = await consumption({ series, from: springDay.start - DAY_MS, to: springDay.end + DAY_MS });
    assert.deepEqual(days.buckets.map((b) => b.hours), [24, 23, 24]);
    assert.deepEqual(days.buckets.map((b) => b.total), [24, 23, 24]);
    const fall = await consumption({ series, from: fallDay.start, to: fallDay.end });
    assert.deepEqual(fall.buckets.map((b) => [b.start, b.hours, b.total]), [[new Date(fallDay.start).toISOString(), 25, 25]]);

    // April to September: each month's total is the sum of its days (and the hours it has, the reset included).
    const monthFrom = Date.UTC(YEAR, 3, 1) - 2 * HOUR_MS;
    const monthTo = Date.UTC(YEAR, 9, 1) - 2 * HOUR_MS;
    const months = await consumption({ series, from: monthFrom, to: monthTo, period: 'month' });
    const everyDay = await consumption({ series, from: monthFrom, to: monthTo, period: 'day' });
    assert.equal(months.buckets.length, 6);
    assert.equal(everyDay.buckets.length, 183);
    for (const m of months.buckets) {
      const inMonth = everyDay.buckets.filter((d) => d.start >= m.start && d.start < m.end);
      const sum = inMonth.reduce((a, d) => a + d.total, 0);
      assert.ok(Math.abs(m.total - sum) < 1e-6, `${m.start}: month ${m.total}, days ${sum}`);
      assert.ok(Math.abs(m.total - m.hours) < 1e-6, `${m.start}: ${m.total} kWh in ${m.hours} h`);
    }
    assert.ok(Math.abs(months.total - everyDay.total) < 1e-6);

    // A zone whose offset is not whole hours (India, +05:30): its days come from the 5-minute rollups, still 24 kWh each.
    const kolkataDay = Date.UTC(YEAR, 4, 20) - 5.5 * HOUR_MS;
    const india = await consumption({ series, from: kolkataDay, to: kolkataDay + 3 * DAY_MS, timeZone: 'Asia/Kolkata' });
    assert.deepEqual(india.buckets.map((b) => [b.start, b.total]), [0, 1, 2].map((d) => [new Date(kolkataDay + d * DAY_MS).toISOString(), 24]));

    // The previous period, bucket for bucket: March for April's days, the year before for a year.
    const april = await consumption({ series, from: Date.UTC(YEAR, 3, 1) - 2 * HOUR_MS, to: Date.UTC(YEAR, 4, 1) - 2 * HOUR_MS, previous: true });
    assert.equal(april.buckets.length, 30);
    assert.equal(april.previous?.from, new Date(Date.UTC(YEAR, 2, 1) - HOUR_MS).toISOString());
    assert.equal(april.previous?.buckets.length, 31);
    // Data starts a week before the spring change: the previous period has it only from there.
    assert.equal(april.previous?.buckets.find((b) => b.hours === 23)?.total, 23);
  });

  it('a tariff with two time-of-use windows prices each hour by its local time', async () => {
    const id = 'casa/salon/plug';
    const readings: Reading[] = [];
    let value = 10;
    // 1 kWh an hour in Wh, across a plain winter day and the hour before it.
    for (let t = winterDay.start - HOUR_MS; t <= winterDay.end; t += 15 * MINUTE_MS) {
      readings.push(reading(id, 'energy_total', Math.round(value * 1000), t, 'Wh'));
      value += 0.25;
    }
    await store(readings);
    await rollUp(winterDay.end + DAY_MS);
    const tariff = {
      currency: 'EUR',
      price: 0.2,
      windows: [
        { name: 'night', from: '22:00', to: '08:00', price: 0.1 },
        { name: 'peak', from: '18:00', to: '22:00', price: 0.3 },
      ],
    };
    const series = [{ deviceId: id, attribute: 'energy_total', factor: 0.001 }];
    const day = await consumption({ series, from: winterDay.start, to: winterDay.end, tariff });
    assert.equal(day.total, 24);
    // 10 night hours at 0.10, 4 peak hours at 0.30, 10 others at 0.20.
    assert.ok(Math.abs(day.cost! - (10 * 0.1 + 4 * 0.3 + 10 * 0.2)) < 1e-6, `cost ${day.cost}`);
    assert.equal(day.series[0].cost, day.cost);
    // The night window limited to the day after this one: on this day its hours cost the base price.
    const isoDay = ((new Date(winterDay.start + 12 * HOUR_MS).getUTCDay() + 6) % 7) + 1;
    const nextDay = (isoDay % 7) + 1;
    const limited = { ...tariff, windows: [{ ...tariff.windows[0], days: [nextDay] }, tariff.windows[1]] };
    const weekdayOnly = await consumption({ series, from: winterDay.start, to: winterDay.end, tariff: limited });
    assert.ok(Math.abs(weekdayOnly.cost! - (4 * 0.3 + 20 * 0.2)) < 1e-6, `cost ${weekdayOnly.cost}`);
  });

  it('readings the rollups do not cover yet count from the raw table', async () => {
    const id = 'casa/lavadero/fresh';
    const now = Date.UTC(YEAR, 11, 1, 12, 2);
    const readings: Reading[] = [];
    for (let k = 0; k <= 30; k++) readings.push(reading(id, 'energy', 100 + 0.1 * k, now - 3 * HOUR_MS + k * 6 * MINUTE_MS));
    await store(readings);
    // No maintenance has run: everything is still pending.
    const series = [{ deviceId: id, attribute: 'energy', factor: 1 }];
    const day = await consumption({ series, from: now - 12 * HOUR_MS, to: now, now });
    assert.ok(Math.abs(day.total - 3) < 1e-6, `total ${day.total}`);
    await rollUp(now + HOUR_MS);
    const after = await consumption({ series, from: now - 12 * HOUR_MS, to: now, now: now + HOUR_MS });
    assert.ok(Math.abs(after.total - 3) < 1e-6, `total after the rollup ${after.total}`);
  });
});
