import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuthService } from '../../lib/auth/auth-service';
import { parseCsv } from '../../lib/export/export-format';
import { runHistoryMaintenance } from '../../lib/history/history-maintenance';
import type { Reading } from '../../lib/model/reading';
import type { RegistryService } from '../../lib/registry/registry-service';
import { storeBatch } from '../../lib/ingest/7-store-batch';

/** What test/api.db.mqtt.test.ts's contract-checking client offers (every answer validated against the document). */
interface Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: 'GET' | 'PUT', path: string, options?: { json?: unknown }): Promise<{ status: number; headers: Headers; body: any }>;
  as(credentials: Record<string, string>): Client;
}

const HOUR = 3_600_000;
const enc = encodeURIComponent;

/**
 * The energy and export routes through the API suite's contract client (so every answer is
 * checked against the OpenAPI document and counts towards its coverage), against the suite's
 * real Postgres and registry. A site of its own, so the suite's other counts are untouched.
 */
export function energyApiSuite(get: () => { api: Client; pool: Pool; service: RegistryService; auth: AuthService; suffix: string }): void {
  let site = '';
  let meter = '';
  let plug = '';
  /** The meter's readings as stored: the expected consumption is worked out from them here. */
  const meterValues: Array<[number, number]> = [];

  before(async () => {
    const { pool, service, suffix } = get();
    site = `energia_${suffix}`;
    meter = `${site}/cocina/contador`;
    plug = `${site}/salon/enchufe`;
    const now = Date.now();
    const start = Math.floor(now / HOUR) * HOUR - 30 * HOUR;
    const readings: Reading[] = [];
    const r = (deviceId: string, attribute: string, value: Reading['value'], ts: number, unit?: string): Reading => {
      const [s, room, device] = deviceId.split('/');
      return { deviceId, site: s, room, device, attribute, value, ts, deviceTs: true, ...(unit ? { unit } : {}) };
    };
    let value = 1200;
    for (let t = start; t < now - 60_000; t += 10 * 60_000) {
      // A reset 20 hours in: the meter starts again near zero.
      value = t - start === 20 * HOUR ? 0.1 : value + 0.1;
      value = Number(value.toFixed(3));
      meterValues.push([t, value]);
      readings.push(r(meter, 'energy', value, t, 'kWh'), r(meter, 'power', 600, t + 1000, 'W'));
      readings.push(r(plug, 'energy_total', Math.round((t - start) / 36_000), t, 'Wh'));
    }
    readings.push(r(plug, 'on', true, now - 120_000));
    await storeBatch(pool, [{ readings, deadLetters: [] }]);
    service.observeReadings(readings);
    await runHistoryMaintenance(pool, { rawRetentionDays: 0, bucketsPerRun: 5000 });
  });

  it('classifies attributes from their units and names, and a person\'s choice wins until forgotten', async () => {
    const { api } = get();
    const list = await api.call('GET', `/sites/${enc(site)}/energy/attributes`);
    assert.equal(list.status, 200);
    const of = (id: string, attribute: string) => list.body.items.find((i: { deviceId: string; attribute: string }) => i.deviceId === id && i.attribute === attribute);
    assert.deepEqual([of(meter, 'energy').class, of(meter, 'energy').source, of(meter, 'energy').quantity], ['counter', 'unit', 'energy']);
    assert.equal(of(meter, 'power').class, 'measurement');
    assert.equal(of(plug, 'energy_total').class, 'counter');
    assert.equal(of(plug, 'on').class, 'state');

    const path = `/devices/${enc(meter)}/attributes/power/class`;
    const set = await api.call('PUT', path, { json: { class: 'state' } });
    assert.deepEqual([set.status, set.body.class, set.body.source], [200, 'state', 'user']);
    const forgot = await api.call('PUT', path, { json: { class: null } });
    assert.deepEqual([forgot.body.class, forgot.body.source], ['measurement', 'unit']);

    // The device announces a class (as discovery's state_class would): it is stored with source device,
    // a person's class wins over it, and forgetting the person's brings the device's back.
    const { service } = get();
    const [sitePart, room, dev] = meter.split('/');
    service.observeDeviceEvents([
      { kind: 'device', deviceId: meter, site: sitePart, room, device: dev, profile: 'octopus', entities: [{ attribute: 'power', stateClass: 'total' }], ts: Date.now() },
    ]);
    await service.save();
    const told = (await api.call('GET', `/sites/${enc(site)}/energy/attributes`)).body.items.find((i: { deviceId: string; attribute: string }) => i.deviceId === meter && i.attribute === 'power');
    assert.deepEqual([told.class, told.source], ['counter', 'device']);
    const mine = await api.call('PUT', path, { json: { class: 'measurement' } });
    assert.deepEqual([mine.body.class, mine.body.source], ['measurement', 'user']);
    const back = await api.call('PUT', path, { json: { class: null } });
    assert.deepEqual([back.body.class, back.body.source], ['counter', 'device']);
    // W is no counter unit: the device's class alone gives no quantity, so it is not added to energy consumption
    assert.equal(back.body.quantity, null);
    assert.equal((await api.call('PUT', `/devices/${enc(meter)}/attributes/nope/class`, { json: { class: 'counter' } })).status, 404);
    assert.equal((await api.call('PUT', path, { json: { class: 'gauge' } })).status, 400);
  });

  it('keeps a site\'s time zone and tariff; refuses an unknown zone and a window past midnight', async () => {
    const { api } = get();
    const path = `/sites/${enc(site)}/energy/settings`;
    const fresh = await api.call('GET', path);
    assert.deepEqual([fresh.status, fresh.body.timeZone, fresh.body.tariffs, fresh.body.updatedAt], [200, 'UTC', {}, null]);
    const tariffs = { energy: { currency: 'EUR', price: 0.2, windows: [{ from: '00:00', to: '08:00', price: 0.1 }, { from: '18:00', to: '22:00', price: 0.3 }] } };
    const saved = await api.call('PUT', path, { json: { timeZone: 'Europe/Madrid', tariffs } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual([saved.body.timeZone, saved.body.tariffs], ['Europe/Madrid', tariffs]);
    assert.match((await api.call('PUT', path, { json: { timeZone: 'Mars/Olympus', tariffs } })).body.error, /unknown time zone/);
    const late = { energy: { currency: 'EUR', price: 0.2, windows: [{ from: '25:00', to: '08:00', price: 0.1 }] } };
    assert.equal((await api.call('PUT', path, { json: { timeZone: 'UTC', tariffs: late } })).status, 400);
    assert.equal((await api.call('GET', `/sites/nowhere-${randomBytes(3).toString('hex')}/energy/settings`)).status, 404);
  });

  it('answers consumption per day with the previous period, top consumers and rooms; the reset counts no negative step', async () => {
    const { api } = get();
    const from = new Date(meterValues[0][0]).toISOString();
    const a = await api.call('GET', `/sites/${enc(site)}/consumption?period=hour&previous=true&from=${enc(from)}`);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.unit, 'kWh');
    assert.equal(a.body.currency, 'EUR');
    assert.ok(a.body.buckets.every((b: { total: number }) => b.total >= 0));
    const meterTotal = a.body.devices.find((d: { deviceId: string }) => d.deviceId === meter).total;
    // 0.1 kWh every 10 minutes after the first reading, the reset's step included (0.1 again).
    assert.ok(Math.abs(meterTotal - 0.1 * (meterValues.length - 1)) < 1e-6, `meter ${meterTotal}, readings ${meterValues.length}`);
    assert.deepEqual(a.body.devices.map((d: { deviceId: string }) => d.deviceId), [meter, plug], 'largest first');
    assert.deepEqual(a.body.rooms.map((r: { room: string }) => r.room), ['cocina', 'salon']);
    assert.equal(a.body.previous.buckets.length, a.body.buckets.length);
    assert.ok(a.body.cost > 0);

    const day = await api.call('GET', `/sites/${enc(site)}/consumption?period=day&room=cocina`);
    assert.ok(Math.abs(day.body.total - meterTotal) < 1e-6, 'the days hold the same total as the hours');
    const longAgo = new Date(Date.now() - 100 * 24 * HOUR).toISOString();
    assert.match((await api.call('GET', `/sites/${enc(site)}/consumption?period=hour&from=${enc(longAgo)}`)).body.error, /at most 1000 hour buckets/);
    assert.equal((await api.call('GET', `/sites/${enc(site)}/consumption?period=fortnight`)).status, 400);
  });

  it('exports CSV and NDJSON that parse back into the stored rows; per device; hourly statistics', async () => {
    const { api, pool } = get();
    const from = new Date(meterValues[0][0] - 1000).toISOString();
    const csv = await api.call('GET', `/sites/${enc(site)}/export?from=${enc(from)}&zone=utc`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="octopus-energia_[a-z0-9]+-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-raw\.csv"$/);
    const rows = parseCsv(csv.body);
    const stored = await pool.query<{ n: number }>('select count(*)::int as n from readings r join devices d using (device_id) where d.site = $1 and r.ts >= $2', [site, from]);
    assert.equal(rows.length - 1, stored.rows[0].n);
    const energy = rows.filter((r) => r[1] === meter && r[5] === 'energy');
    assert.deepEqual(energy.map((r) => [Date.parse(r[0]), Number(r[6])]), meterValues);

    const nd = await api.call('GET', `/devices/${enc(meter)}/export?from=${enc(from)}&format=ndjson&attributes=energy&resolution=1h`);
    assert.equal(nd.status, 200);
    assert.match(nd.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const hours = (nd.body as string).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(hours.reduce((n: number, h: { count: number }) => n + h.count, 0), meterValues.length);
    assert.ok(hours.every((h: { delta: number; time: string }) => h.delta >= 0 && /\+0[12]:00$/.test(h.time)), 'in Madrid time, no negative delta');

    assert.equal((await api.call('GET', `/sites/${enc(site)}/export?attributes=${Array.from({ length: 60 }, (_, i) => `a${i}`).join(',')}`)).status, 400);
    assert.equal((await api.call('GET', `/sites/${enc(site)}/export?device=${enc('otra/casa/x')}`)).status, 404);
    assert.equal((await api.call('GET', `/sites/${enc(site)}/export?resolution=1min`)).status, 400);
    assert.match((await api.call('GET', `/sites/${enc(site)}/export?attributes=energy,%00`)).body.error, /without control characters/);
  });

  it('a viewer exports only their own sites', async () => {
    const { api, auth, suffix } = get();
    const mk = async (name: string, at: string) => {
      const user = await auth.createUser({ username: `${name}_${suffix}`, password: randomBytes(18).toString('base64url'), operator: false, sites: new Map([[at, 'viewer']]) });
      assert.ok(user);
      return api.as({ Authorization: `Bearer ${(await auth.createToken(user, { name: 'export test', role: 'viewer', sites: [at], expiresAt: null })).token}` });
    };
    const mine = await mk('viewer_here', site);
    const other = await mk('viewer_there', `elsewhere_${suffix}`);
    assert.equal((await mine.call('GET', `/sites/${enc(site)}/export?attributes=on`)).status, 200);
    assert.equal((await mine.call('GET', `/devices/${enc(plug)}/export`)).status, 200);
    assert.equal((await mine.call('PUT', `/sites/${enc(site)}/energy/settings`, { json: { timeZone: 'UTC', tariffs: {} } })).status, 403);
    for (const path of [`/sites/${enc(site)}/export`, `/devices/${enc(plug)}/export`, `/sites/${enc(site)}/consumption`, `/sites/${enc(site)}/energy/settings`]) {
      const a = await other.call('GET', path);
      assert.equal(a.status, 404, `${path}: ${a.status}`);
      assert.ok(!JSON.stringify(a.body).includes('contador'));
    }
  });
}
