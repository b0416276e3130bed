import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import type { Reading } from '../lib/model/reading';
import { DeviceRegistry, type RegistryEvent } from '../lib/registry/device-registry';
import { loadDevices, saveDevices } from '../lib/registry/registry-store';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function reading(deviceId: string, attribute: string, value: Reading['value'], ts = T0): Reading {
  const [site, room, device] = deviceId.split('/');
  return { deviceId, site, room, device, attribute, value, ts, deviceTs: true };
}

const types = (events: readonly RegistryEvent[]) => events.map((e) => e.type);

describe('DeviceRegistry (pure model)', () => {
  it('learns a new device and its attributes, with one event each', () => {
    const reg = new DeviceRegistry();
    assert.deepEqual(types(reg.observeReading(reading('h/r/d', 'temp', 21), T0)), ['device-added']);
    assert.deepEqual(types(reg.observeReading(reading('h/r/d', 'temp', 22), T0 + 5000)), []);
    assert.deepEqual(types(reg.observeReading(reading('h/r/d', 'hum', 40), T0 + 5000)), ['attribute-added']);
    const d = reg.get('h/r/d');
    assert.ok(d);
    assert.equal(d.state, 'online');
    assert.deepEqual([...d.attributes.keys()], ['temp', 'hum']);
    assert.equal(d.attributes.get('temp')?.value, 22);
    assert.equal(d.lastSeen, T0 + 5000);
  });

  it('keeps the newest value when readings arrive out of order', () => {
    const reg = new DeviceRegistry();
    reg.observeReading(reading('h/r/d', 'temp', 22, T0 + 10), T0);
    reg.observeReading(reading('h/r/d', 'temp', 21, T0), T0 + 1);
    assert.equal(reg.get('h/r/d')?.attributes.get('temp')?.value, 22);
  });

  it('learns the cadence, goes stale then offline on silence, and recovers on the next reading', () => {
    const reg = new DeviceRegistry({ minStaleMs: 0, minOfflineMs: 0 });
    for (let i = 0; i < 20; i++) reg.observeReading(reading('h/r/d', 'temp', i, T0 + i * 10000), T0 + i * 10000);
    const d = reg.get('h/r/d');
    assert.ok(d?.learnedIntervalMs && Math.abs(d.learnedIntervalMs - 10000) < 100, `learned ${d?.learnedIntervalMs}`);
    const last = T0 + 19 * 10000;
    assert.deepEqual(types(reg.sweep(last + 25000)), []);
    const stale = reg.sweep(last + 35000);
    assert.deepEqual(types(stale), ['stale']);
    assert.match(stale[0].reason, /silent for 35 s \(expected every 10 s\)/);
    assert.deepEqual(types(reg.sweep(last + 36000)), []);
    assert.deepEqual(types(reg.sweep(last + 101000)), ['offline']);
    assert.deepEqual(types(reg.sweep(last + 200000)), []);
    const back = reg.observeReading(reading('h/r/d', 'temp', 1, last + 300000), last + 300000);
    assert.deepEqual(types(back), ['online']);
  });

  it('a long outage does not teach a slow cadence', () => {
    const reg = new DeviceRegistry();
    for (let i = 0; i < 10; i++) reg.observeReading(reading('h/r/d', 't', i), T0 + i * 5000);
    reg.observeReading(reading('h/r/d', 't', 0), T0 + 45000 + 3_600_000);
    assert.ok((reg.get('h/r/d')?.learnedIntervalMs ?? 0) < 10000);
  });

  it('an operator-set interval overrides the learned one', () => {
    const reg = new DeviceRegistry({ minStaleMs: 0, minOfflineMs: 0 });
    for (let i = 0; i < 5; i++) reg.observeReading(reading('h/r/d', 't', i), T0 + i * 1000);
    reg.updateMeta('h/r/d', { expectedIntervalMs: 60000 }, T0);
    assert.deepEqual(types(reg.sweep(T0 + 4000 + 100000)), []);
    assert.deepEqual(types(reg.sweep(T0 + 4000 + 190000)), ['stale']);
  });

  it('LWT offline makes a device offline at once; online brings it back; sweeping leaves it offline', () => {
    const reg = new DeviceRegistry();
    reg.observeReading(reading('h/r/d', 't', 1), T0);
    const ref = { deviceId: 'h/r/d', site: 'h', room: 'r', device: 'd' };
    assert.deepEqual(types(reg.observeAvailability(ref, 'offline', 'Offline', T0 + 1000)), ['offline']);
    assert.equal(reg.get('h/r/d')?.stateReason, 'reported Offline');
    assert.deepEqual(types(reg.sweep(T0 + 2000)), []);
    assert.deepEqual(types(reg.observeAvailability(ref, 'online', 'Online', T0 + 3000)), ['online']);
    assert.deepEqual(types(reg.observeAvailability({ ...ref, deviceId: 'tasmota:plug' }, 'online', 'Online', T0)), ['device-added']);
  });

  it('metadata changes are events naming the fields; unchanged values are not', () => {
    const reg = new DeviceRegistry();
    reg.observeReading(reading('h/r/d', 't', 1), T0);
    const e = reg.updateMeta('h/r/d', { name: 'Termostato', room: 'salón', controls: { on: { kind: 'switch' } } }, T0);
    assert.equal(e?.type, 'metadata-changed');
    assert.equal(e?.reason, 'name, room, controls');
    assert.equal(reg.updateMeta('h/r/d', { name: 'Termostato' }, T0), undefined);
    assert.equal(reg.updateMeta('nope', { name: 'x' }, T0), undefined);
    reg.updateMeta('h/r/d', { name: undefined }, T0);
    assert.equal(reg.get('h/r/d')?.meta.name, undefined);
  });

  it('hands changed and removed devices to persistence once', () => {
    const reg = new DeviceRegistry();
    reg.observeReading(reading('h/r/a', 't', 1), T0);
    reg.observeReading(reading('h/r/b', 't', 1), T0);
    assert.deepEqual(reg.takeDirty().changed.map((d) => d.deviceId).sort(), ['h/r/a', 'h/r/b']);
    assert.deepEqual(reg.takeDirty(), { changed: [], removed: [] });
    assert.equal(reg.remove('h/r/a', T0)?.type, 'device-removed');
    assert.deepEqual(reg.takeDirty(), { changed: [], removed: ['h/r/a'] });
  });
});

describe('registry persistence (real Postgres)', () => {
  let db: TestDatabase;
  let pool: Pool;
  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    await migrate(pool);
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  it('a restart restores state, timestamps, metadata and attributes, then re-evaluates them', async () => {
    const reg = new DeviceRegistry({ minStaleMs: 0, minOfflineMs: 0 });
    for (let i = 0; i < 5; i++) {
      reg.observeReading(reading('h/r/fresh', 'temp', 20 + i, T0 + i * 1000), T0 + i * 1000);
      reg.observeReading(reading('h/r/old', 'on', i % 2 === 0, T0 + i * 1000), T0 + i * 1000);
    }
    reg.observeReading(reading('h/r/fresh', 'mode', 'eco', T0 + 4000), T0 + 4000);
    reg.updateMeta('h/r/fresh', { name: 'Salón', controls: { temp: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } }, T0);
    reg.observeAvailability({ deviceId: 'h/r/old', site: 'h', room: 'r', device: 'old' }, 'offline', 'offline', T0 + 5000);
    // The store writes devices too (site/room/last_seen); both writers must agree.
    await storeBatch(pool, [{ readings: [reading('h/r/fresh', 'temp', 24, T0 + 4000)], deadLetters: [] }]);
    const { changed, removed } = reg.takeDirty();
    await saveDevices(pool, changed, removed);

    const restored = new DeviceRegistry({ minStaleMs: 0, minOfflineMs: 0 });
    restored.load(await loadDevices(pool));
    const fresh = restored.get('h/r/fresh');
    assert.ok(fresh);
    assert.equal(fresh.state, 'online');
    assert.equal(fresh.lastSeen, T0 + 4000);
    assert.equal(fresh.learnedIntervalMs, reg.get('h/r/fresh')?.learnedIntervalMs);
    assert.deepEqual(fresh.meta, { name: 'Salón', controls: { temp: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } });
    assert.deepEqual(
      Object.fromEntries([...fresh.attributes].map(([k, v]) => [k, v.value])),
      { temp: 24, mode: 'eco' },
    );
    assert.equal(fresh.attributes.get('temp')?.ts, T0 + 4000);
    const old = restored.get('h/r/old');
    assert.equal(old?.state, 'offline');
    assert.equal(old?.availability, 'offline');
    assert.equal(old?.attributes.get('on')?.value, true);
    // Re-evaluated on load: the fresh one has been silent for an hour by now.
    assert.deepEqual(types(restored.sweep(T0 + 3_600_000)), ['offline']);
  });

  it('forgetting a device deletes it and its attributes', async () => {
    const reg = new DeviceRegistry();
    reg.observeReading(reading('h/r/gone', 't', 1), T0);
    let dirty = reg.takeDirty();
    await saveDevices(pool, dirty.changed, dirty.removed);
    reg.remove('h/r/gone', T0);
    dirty = reg.takeDirty();
    await saveDevices(pool, dirty.changed, dirty.removed);
    const left = await pool.query("select (select count(*) from devices where device_id = 'h/r/gone')::int as d, (select count(*) from device_attributes where device_id = 'h/r/gone')::int as a");
    assert.deepEqual(left.rows[0], { d: 0, a: 0 });
  });
});
