/**
 * Issue #15, houses and bounds, with real Postgres: a flooding house is capped on the way to the
 * tables (readings stored for its first devices only, the rest dead-lettered with a reason code),
 * another house's readings all stored; the registry's cap holds across a restart (devices loaded
 * from the database count towards it).
 */
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { parseMessage } from '../lib/parser';
import { DeviceRegistry } from '../lib/registry/device-registry';
import { applyHouseLimits, HouseLimits } from '../lib/registry/house-limits';
import { loadDevices, saveDevices } from '../lib/registry/registry-store';
import { deadLetterForRejects } from '../lib/ingest/7-dead-letter';
import { storeBatch, type StoreItem } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

describe('house bounds with Postgres (issue #15)', () => {
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

  const count = async (sql: string, params: unknown[] = []) => Number((await pool.query(sql, params)).rows[0].n);

  it('a house flooding unique topics with long levels: capped readings, the rest dead-lettered by code; the other house all stored', async () => {
    const cap = 40;
    const limits = new HouseLimits({ maxDevicesPerSite: cap, maxAttributesPerDevice: 20 });
    const reg = new DeviceRegistry({ maxDevicesPerSite: cap, maxAttributesPerDevice: 20 });
    const now = Date.now();
    const items: StoreItem[] = [];
    const messages: Array<[string, string]> = [];
    for (let i = 0; i < 300; i++) messages.push([`flood/r/dev${i}/t`, String(i)]);
    for (let i = 0; i < 50; i++) messages.push([`flood/r/${'x'.repeat(5000)}${i}/t`, '1']);
    for (let i = 0; i < 100; i++) messages.push([`calm/r/dev${i % 10}/t`, String(i)]);
    for (const [topic, payload] of messages) {
      const r = parseMessage(topic, payload, { receivedAt: now });
      applyHouseLimits(r, limits);
      for (const x of r.readings) reg.observeReading(x, now);
      items.push({
        readings: r.readings,
        deadLetters: r.rejects.length > 0 ? [deadLetterForRejects(topic, Buffer.from(payload), r.rejects, r.omittedRejects)] : [],
        topic,
        payload: Buffer.from(payload),
      });
    }
    for (let i = 0; i < items.length; i += 100) await storeBatch(pool, items.slice(i, i + 100));
    const { changed, removed } = reg.takeDirty();
    await saveDevices(pool, changed, removed);

    assert.equal(await count("select count(distinct device_id) as n from readings where device_id like 'flood/%'"), cap);
    assert.equal(await count("select count(*) as n from readings where device_id like 'calm/%'"), 100, 'every reading of the other house');
    assert.equal(await count("select count(*) as n from dead_letters where code = 'device-limit'"), 300 - cap);
    assert.equal(await count("select count(*) as n from dead_letters where code = 'topic-level-too-long'"), 50);
    assert.equal(await count('select max(length(topic)) as n from dead_letters') <= 1024, true, 'dead letters stay bounded');
    assert.equal(await count("select count(*) as n from devices where site = 'flood'"), cap);
    assert.equal(await count("select count(*) as n from devices where site = 'calm'"), 10);
    assert.ok((await count('select max(length(device_id)) as n from devices')) <= 3 * 128 + 2, 'no 5 KB names in the registry');
  });

  it('the registry cap holds across a restart: devices loaded from the database count', async () => {
    const site = 'restart';
    const now = Date.now();
    const reading = (d: string) => ({ deviceId: `${site}/r/${d}`, site, room: 'r', device: d, attribute: 't', value: 1, ts: now, deviceTs: false });
    const first = new DeviceRegistry({ maxDevicesPerSite: 5 });
    for (let i = 0; i < 5; i++) first.observeReading(reading(`d${i}`), now);
    const { changed, removed } = first.takeDirty();
    await saveDevices(pool, changed, removed);

    const second = new DeviceRegistry({ maxDevicesPerSite: 5 });
    second.load(await loadDevices(pool));
    assert.equal(second.devicesIn(site), 5);
    assert.deepEqual(second.observeReading(reading('new'), now), []);
    assert.equal(second.get(`${site}/r/new`), undefined);
    assert.deepEqual(second.refused, { 'device-limit': 1 });
    assert.equal(second.observeReading(reading('d0'), now).length, 0, 'known devices still report');
    const again = second.takeDirty();
    await saveDevices(pool, again.changed, again.removed);
    assert.equal(await count('select count(*) as n from devices where site = $1', [site]), 5);
  });
});
