import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import { AutomationService } from '../../lib/automation/automation-service';
import type { Reading } from '../../lib/model/reading';
import type { RegistryService } from '../../lib/registry/registry-service';
import type { ServiceSlot } from '../../lib/runtime/service-slot';

/** What test/api.db.mqtt.test.ts's contract-checking client offers (every answer validated against the document). */
interface Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: { json?: unknown }): Promise<{ status: number; headers: Headers; body: any }>;
}

const enc = encodeURIComponent;

/**
 * The home-automation routes (issue #21) through the API suite's contract client: every operation
 * once, its answer checked against the OpenAPI document, with an automation service running beside
 * the suite's registry. A site of its own, so the suite's other counts are untouched.
 */
export function automationApiSuite(get: () => { api: Client; pool: Pool; service: RegistryService; suffix: string; automations: ServiceSlot<AutomationService> }): void {
  let automation: AutomationService;
  let deactivate: () => void = () => undefined;
  let site = '';
  let luz = '';
  let pir = '';

  before(async () => {
    const { pool, service, suffix } = get();
    site = `auto_${suffix}`;
    luz = `${site}/salon/luz`;
    pir = `${site}/hall/pir`;
    const now = Date.now();
    const r = (deviceId: string, attribute: string, value: Reading['value']): Reading => {
      const [s, room, device] = deviceId.split('/');
      return { deviceId, site: s, room, device, attribute, value, ts: now, deviceTs: false };
    };
    service.observeReadings([r(luz, 'on', false), r(pir, 'motion', false)]);
    assert.ok(service.updateMeta(luz, { controls: { on: { kind: 'switch' } } }).ok);
    automation = new AutomationService({ registry: service, database: () => Promise.resolve(pool), tickMs: 200 });
    await automation.start();
    deactivate = get().automations.provide(automation);
  });

  after(async () => {
    deactivate();
    await automation?.stop();
  });

  it('serves scenes, schedules, automations, runs, the logbook and the location as documented', async () => {
    const { api } = get();
    const ok = (a: { status: number; body: unknown }, status: number) => assert.equal(a.status, status, JSON.stringify(a.body));
    ok(await api.call('PUT', `/sites/${site}/location`, { json: { name: 'Casa', latitude: 40.4, longitude: -3.7, timeZone: 'Europe/Madrid', logbookDays: 7 } }), 200);
    const location = await api.call('GET', `/sites/${site}/location`);
    ok(location, 200);
    assert.deepEqual([location.body.timeZone, location.body.logbookDays], ['Europe/Madrid', 7]);

    const scene = await api.call('POST', `/sites/${site}/scenes`, { json: { name: 'Evening', targets: [{ deviceId: luz, attribute: 'on', value: true }] } });
    ok(scene, 201);
    const sceneId = enc(scene.body.id);
    ok(await api.call('GET', `/sites/${site}/scenes`), 200);
    ok(await api.call('PUT', `/scenes/${sceneId}`, { json: { name: 'Evening', capture: [{ deviceId: luz, attribute: 'on' }] } }), 200);
    ok(await api.call('POST', `/scenes/${sceneId}/apply`), 202);
    ok(await api.call('POST', `/scenes/${sceneId}/restore`), 202);
    const applied = await api.call('GET', `/scenes/${sceneId}`);
    ok(applied, 200);
    assert.deepEqual(applied.body.previous, [{ deviceId: luz, attribute: 'on', value: false }]);

    const slots = [{ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '07:00', value: true }, { kind: 'sun', days: [6, 7], event: 'sunset', offsetMinutes: -15, value: true }];
    const schedule = await api.call('POST', `/sites/${site}/schedules`, { json: { name: 'Lamp', action: { type: 'command', deviceId: luz, attribute: 'on' }, slots } });
    ok(schedule, 201);
    assert.equal(schedule.body.timeZone, 'Europe/Madrid');
    assert.ok(schedule.body.nextRun, 'it runs next within the week');
    const scheduleId = enc(schedule.body.id);
    ok(await api.call('GET', `/sites/${site}/schedules`), 200);
    ok(await api.call('GET', `/schedules/${scheduleId}`), 200);
    ok(await api.call('PUT', `/schedules/${scheduleId}`, { json: { name: 'Lamp', enabled: false, action: { type: 'scene', sceneId: scene.body.id }, slots: [{ kind: 'once', at: '2030-01-01T20:00:00Z' }] } }), 200);

    const made = await api.call('POST', `/sites/${site}/automations`, {
      json: { name: 'Hall', trigger: { type: 'reading', deviceId: pir, attribute: 'motion', equals: true }, conditions: [{ type: 'time', from: '00:00', to: '00:00' }], actions: [{ type: 'command', deviceId: luz, attribute: 'on', value: true, forSeconds: 60 }] },
    });
    ok(made, 201);
    const automationId = enc(made.body.id);
    ok(await api.call('GET', `/sites/${site}/automations`), 200);
    ok(await api.call('GET', `/automations/${automationId}`), 200);
    const bad = await api.call('PUT', `/automations/${automationId}`, { json: { name: 'Hall', trigger: { type: 'reading', deviceId: pir, attribute: 'motion', equals: true }, actions: [{ type: 'command', deviceId: luz, attribute: 'on', value: 7 }] } });
    ok(bad, 400);
    assert.match(bad.body.error, /switch/);
    ok(await api.call('PUT', `/automations/${automationId}`, { json: { name: 'Hall', enabled: true, trigger: { type: 'reading', deviceId: pir, attribute: 'motion', equals: true }, actions: [{ type: 'notify', message: 'motion in the hall' }], maxRunsPerHour: 10 } }), 200);
    get().service.observeReadings([{ deviceId: pir, site, room: 'hall', device: 'pir', attribute: 'motion', value: true, ts: Date.now(), deviceTs: false }]);
    let runs: { body: { items: Array<{ outcome: string; cause: Array<{ kind: string }> }> } } | undefined;
    for (let i = 0; i < 50 && !runs?.body.items.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = await api.call('GET', `/automations/${automationId}/runs?limit=5`);
    }
    assert.equal(runs?.body.items[0]?.outcome, 'done', JSON.stringify(runs?.body));
    assert.equal(runs?.body.items[0]?.cause[0].kind, 'reading');
    const log = await api.call('GET', `/sites/${site}/logbook?kind=automation,scene&limit=10`);
    ok(log, 200);
    assert.ok(log.body.items.some((e: { causeText: string }) => e.causeText.includes(`${pir} motion=true`)), JSON.stringify(log.body.items));

    ok(await api.call('DELETE', `/scenes/${sceneId}`), 409); // the schedule applies it
    ok(await api.call('DELETE', `/automations/${automationId}`), 204);
    ok(await api.call('DELETE', `/schedules/${scheduleId}`), 204);
    ok(await api.call('DELETE', `/scenes/${sceneId}`), 204);
  });
}
