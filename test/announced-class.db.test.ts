import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { migrate } from '../lib/db/migrate';
import { classify } from '../lib/energy/attribute-class';
import { queryConsumption } from '../lib/energy/consumption';
import { classKey, loadClasses, saveClass } from '../lib/energy/energy-store';
import { DAY_MS, MINUTE_MS } from '../lib/history/buckets';
import { ensureDayPartitions, runHistoryMaintenance } from '../lib/history/history-maintenance';
import type { DeviceEvent, Reading } from '../lib/model/reading';
import { createProfileContext, parseMessage } from '../lib/parser';
import { RegistryService } from '../lib/registry/registry-service';
import { storeBatch } from '../lib/ingest/7-store-batch';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * A class a device announces in its discovery config reaches attribute_classes (source 'device')
 * through the real parser and the registry service's save, and decides whether its readings are
 * consumption; a person's class still wins over it. A water meter in litres is the case where it
 * matters: by unit and name alone litres may be a tank's level, so without the device's word the
 * attribute is a measurement.
 */
const CONFIG_TOPIC = 'homeassistant/sensor/water_meter_01/config';
const STATE_TOPIC = 'homeassistant/sensor/water_meter_01/state';
const config = (stateClass: string) =>
  JSON.stringify({
    name: 'Water',
    stat_t: STATE_TOPIC,
    unit_of_meas: 'L',
    dev_cla: 'water',
    stat_cla: stateClass,
    val_tpl: '{{ value_json.water }}',
    uniq_id: 'water_meter_01_water',
    dev: { ids: ['water_meter_01'], name: 'Water meter', mf: 'Example' },
  });

describe('energy: classes devices announce (Home Assistant state_class) in Postgres', function () {
  this.timeout(60000);
  let db: TestDatabase;
  let pool: Pool;
  let service: RegistryService;
  const context = createProfileContext();
  const day = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;

  const announce = async (stateClass: string): Promise<DeviceEvent[]> => {
    const r = parseMessage(CONFIG_TOPIC, config(stateClass), { context, receivedAt: day });
    assert.equal(r.devices?.length, 1, JSON.stringify(r));
    service.observeDeviceEvents(r.devices!);
    await service.save();
    assert.equal(service.lastSaveError, '');
    return r.devices!;
  };
  const row = async (deviceId: string, attribute: string) =>
    (await pool.query('select class, source from attribute_classes where device_id = $1 and attribute = $2', [deviceId, attribute])).rows[0];
  /** How the energy routes classify (lib/api/energy-routes.ts): the stored class, else unit and name. */
  const classOf = async (deviceId: string, attribute: string, unit: string) =>
    classify({ attribute, unit, value: 1, stored: (await loadClasses(pool, [deviceId])).get(classKey(deviceId, attribute)) });

  before(async () => {
    db = await createTestDatabase('octopus_announced');
    pool = new Pool({ connectionString: db.url, max: 2 });
    await migrate(pool);
    await ensureDayPartitions(pool, day - DAY_MS, day + 2 * DAY_MS);
    service = new RegistryService({ database: async () => pool, publish: async () => undefined });
  });
  after(async () => {
    await service?.stop();
    await pool?.end();
    await db?.drop();
  });

  it('a device-announced counter is stored with source device and its litres count as consumption; a person\'s class still wins', async () => {
    // The meter's readings, through the same parser context that read the config.
    const readings: Reading[] = [];
    await announce('total_increasing');
    for (let k = 0; k <= 48; k++) {
      const r = parseMessage(STATE_TOPIC, JSON.stringify({ water: 5000 + 10 * k }), { context, receivedAt: day + k * 30 * MINUTE_MS });
      assert.equal(r.readings.length, 1, JSON.stringify(r));
      readings.push(...r.readings);
    }
    const { deviceId, attribute, unit } = readings[0];
    assert.deepEqual([deviceId, attribute, unit], ['ha:water_meter_01', 'water', 'L']);

    // Without the device's word: litres named "water" are a measurement (a tank may report litres).
    assert.equal(classify({ attribute, unit, value: 1 }).class, 'measurement');
    assert.deepEqual(await row(deviceId, attribute), { class: 'counter', source: 'device' });
    const c = await classOf(deviceId, attribute, unit!);
    assert.deepEqual([c.class, c.source, c.quantity, c.factor], ['counter', 'device', 'volume', 0.001]);

    await storeBatch(pool, [{ readings, deadLetters: [] }]);
    await runHistoryMaintenance(pool, { rawRetentionDays: 0, now: () => day + 2 * DAY_MS, bucketsPerRun: 5000, partitionsAhead: 0 });
    const used = await queryConsumption(pool, {
      timeZone: 'UTC',
      period: 'day',
      previous: false,
      from: day,
      to: day + DAY_MS,
      now: day + 2 * DAY_MS,
      maxBuckets: 10,
      series: [{ deviceId, attribute, factor: c.factor! }],
    });
    // 48 readings in the day, 47 steps of 10 L between them (the step to the 49th, the next day's first, is the next day's): 0.47 m³
    assert.ok(Math.abs(used.total - 0.47) < 1e-9, `total ${used.total}`);

    // A person says it is a measurement: the device re-announcing its class does not overwrite that.
    await saveClass(pool, deviceId, attribute, 'measurement', 'ana');
    await announce('total_increasing');
    await announce('total');
    assert.deepEqual(await row(deviceId, attribute), { class: 'measurement', source: 'user' });
    const mine = await classOf(deviceId, attribute, unit!);
    assert.deepEqual([mine.class, mine.source], ['measurement', 'user']);
  });

  it('a changed announcement updates the device\'s row; an unchanged one writes nothing', async () => {
    const [d] = await announce('measurement');
    const id = d.kind === 'device' ? d.deviceId : '';
    // the water meter's row is the person's (test above); a new attribute of the same device:
    const other = parseMessage(
      'homeassistant/sensor/water_meter_01_flow/config',
      JSON.stringify({ stat_t: 'homeassistant/sensor/water_meter_01/state', unit_of_meas: 'L/min', stat_cla: 'measurement', val_tpl: '{{ value_json.flow }}', dev: { ids: ['water_meter_01'] } }),
      { context, receivedAt: day },
    );
    service.observeDeviceEvents(other.devices!);
    await service.save();
    assert.deepEqual(await row(id, 'flow'), { class: 'measurement', source: 'device' });
    const before = (await pool.query("select updated_at from attribute_classes where device_id = $1 and attribute = 'flow'", [id])).rows[0].updated_at;

    service.observeDeviceEvents(other.devices!);
    assert.equal(service.announcedClasses.size, 0, 'the same class again queues no write');

    const changed = parseMessage(
      'homeassistant/sensor/water_meter_01_flow/config',
      JSON.stringify({ stat_t: 'homeassistant/sensor/water_meter_01/state', unit_of_meas: 'L', stat_cla: 'total_increasing', val_tpl: '{{ value_json.flow }}', dev: { ids: ['water_meter_01'] } }),
      { context, receivedAt: day },
    );
    service.observeDeviceEvents(changed.devices!);
    assert.equal(service.announcedClasses.size, 1);
    await service.save();
    const after = (await pool.query("select class, source, updated_at from attribute_classes where device_id = $1 and attribute = 'flow'", [id])).rows[0];
    assert.deepEqual([after.class, after.source], ['counter', 'device']);
    assert.ok(after.updated_at.getTime() >= before.getTime());
  });
});
