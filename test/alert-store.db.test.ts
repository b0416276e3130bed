import assert from 'node:assert/strict';
import type { AlertTransition } from '../lib/alerts/alert-engine';
import { AlertService, type AlertServiceOptions } from '../lib/alerts/alert-service';
import { queryAlerts } from '../lib/alerts/alert-store';
import type { AlertRule } from '../lib/alerts/rules';
import { Database } from '../lib/db/database';
import type { Reading, ReadingValue } from '../lib/model/reading';
import { createTestDatabase, type TestDatabase } from './support/database';

const T0 = Date.parse('2026-11-23T10:00:00Z'); // the alert service's injected clock (see `clock` below)
const S = 1000;

function reading(value: ReadingValue, over: Partial<Reading> = {}): Reading {
  const site = over.site ?? 'casa';
  const room = over.room ?? 'cocina';
  const device = over.device ?? 'nevera';
  return { deviceId: `${site}/${room}/${device}`, site, room, device, attribute: 'temperature', value, unit: '°C', ts: 0, deviceTs: false, ...over };
}

describe('alert persistence (real Postgres)', function () {
  this.timeout(30000);
  let tdb: TestDatabase;
  let database: Database;
  let clock = T0;
  const running: AlertService[] = [];

  before(async () => {
    tdb = await createTestDatabase();
    database = new Database({ connectionString: tdb.url, poolSize: 3 });
    await database.ready();
  });
  after(async () => {
    await database.close();
    await tdb.drop();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });

  /** A service on the test database with a hand-driven clock; the timers are slow so only the test ticks. */
  async function service(rules: AlertRule[], over: Partial<AlertServiceOptions> = {}): Promise<{ s: AlertService; seen: AlertTransition[] }> {
    const s = new AlertService({ database: () => database.ready(), rules, now: () => clock, tickIntervalMs: 3_600_000, saveIntervalMs: 3_600_000, ...over });
    const seen: AlertTransition[] = [];
    s.on('transition', (t: AlertTransition) => seen.push(t));
    running.push(s);
    await s.start();
    return { s, seen };
  }

  async function restart(s: AlertService): Promise<void> {
    await s.save();
    // A crash after the save: timers stop, nothing else is written.
    running.splice(running.indexOf(s), 1);
    await s.stop();
  }

  it('a restart in the middle of a pending duration resumes it from Postgres and raises once', async () => {
    const rules: AlertRule[] = [{ id: 'hot', device: 'horno', condition: 'above', threshold: 30, forS: 300 }];
    clock = T0;
    const first = await service(rules);
    first.s.observeReadings([reading(31, { device: 'horno' })]);
    await restart(first.s);
    const pending = await database.pool.query(`select state from alert_pending where rule_id = 'hot'`);
    assert.equal(pending.rows.length, 1);
    assert.equal(pending.rows[0].state.since[0], T0);

    clock = T0 + 200 * S;
    const second = await service(rules);
    assert.equal(second.seen.length, 0, 'nothing on start');
    second.s.observeReadings([reading(32, { device: 'horno' })]);
    assert.equal(second.seen.length, 0);
    clock = T0 + 300 * S;
    second.s.tick();
    assert.deepEqual(second.seen.map((t) => t.type), ['raised'], 'the 300 s count from before the restart');
    await restart(second.s);

    // Restart with the alert active: restored, no second raise, same alert.
    clock = T0 + 400 * S;
    const third = await service(rules);
    third.s.observeReadings([reading(33, { device: 'horno' })]);
    clock = T0 + 800 * S;
    third.s.tick();
    assert.equal(third.seen.length, 0);
    const open = third.s.activeAlerts();
    assert.equal(open.length, 1);
    assert.equal(open[0].id, second.seen[0].alert.id);
    assert.equal(open[0].value, 33);
    await third.s.save();
    const rows = await database.pool.query(`select state, value from alerts where rule_id = 'hot'`);
    assert.deepEqual(rows.rows, [{ state: 'active', value: 33 }]);
    const events = await database.pool.query(`select type from alert_events e join alerts a on a.id = e.alert_id where a.rule_id = 'hot'`);
    assert.deepEqual(events.rows.map((r) => r.type), ['raised']);

    // Cleared, then after another restart: acknowledging it is a conflict, not "unknown".
    clock = T0 + 900 * S;
    third.s.observeReadings([reading(20, { device: 'horno' })]);
    assert.deepEqual(third.seen.map((t) => t.type), ['cleared']);
    await restart(third.s);
    const fourth = await service(rules);
    const late = await fourth.s.acknowledge(open[0].id, 'ana', undefined);
    assert.deepEqual(late, { ok: false, status: 409, error: `alert ${open[0].id} is already cleared` });
    assert.equal((await fourth.s.acknowledge('no-such-alert', 'ana', undefined)).ok, false);
  });

  it('acknowledged alerts come back acknowledged; readings arriving while the state loads are held, not lost', async () => {
    const rules: AlertRule[] = [{ id: 'leak', device: 'sotano', attribute: 'water', condition: 'equals', value: true, severity: 'critical' }];
    clock = T0;
    const first = await service(rules);
    first.s.observeReadings([reading(true, { device: 'sotano', attribute: 'water' })]);
    const id = first.seen[0].alert.id;
    const ack = await first.s.acknowledge(id, 'ana', 'plumber called');
    assert.ok(ack.ok);
    await restart(first.s);

    const s = new AlertService({ database: () => database.ready(), rules, now: () => clock, tickIntervalMs: 3_600_000 });
    const seen: AlertTransition[] = [];
    s.on('transition', (t: AlertTransition) => seen.push(t));
    running.push(s);
    s.observeReadings([reading(false, { device: 'sotano', attribute: 'water' })]);
    await s.start();
    const mine = seen.filter((t) => t.alert.ruleId === 'leak');
    assert.deepEqual(mine.map((t) => [t.type, t.alert.id]), [['cleared', id]], 'the held reading cleared the restored alert');
    assert.equal(mine[0].alert.acknowledgedBy, 'ana');
  });

  it('history: filters by site, device, severity, state and time range, with paging', async () => {
    const rules: AlertRule[] = [
      { id: 'h-hot', site: 'h*', condition: 'above', threshold: 30, escalate: [{ severity: 'critical', threshold: 50 }] },
      { id: 'h-silent', site: 'h*', condition: 'nodata', noDataS: 60, severity: 'info' },
    ];
    clock = T0 + 86_400 * S;
    const base = clock;
    const { s } = await service(rules);
    s.observeReadings([reading(35, { site: 'h1', device: 'a' })]); // warning, h1/a
    clock = base + 10 * S;
    s.observeReadings([reading(55, { site: 'h1', device: 'b' })]); // critical, h1/b
    clock = base + 20 * S;
    s.observeReadings([reading(36, { site: 'h2', device: 'a' })]); // warning, h2/a
    clock = base + 30 * S;
    s.observeReadings([reading(20, { site: 'h1', device: 'a' })]); // h1/a cleared
    const h2 = s.activeAlerts({ site: 'h2' })[0];
    await s.acknowledge(h2.id, 'bob', undefined);
    clock = base + 100 * S;
    s.tick(); // 70–90 s of silence: no-data (info) for all three series
    const all = await s.history({ site: 'h1' });
    assert.equal(all.total, 4);
    // Newest first; the two no-data alerts were raised by the same tick, so their order is the id's.
    const rows = all.alerts.map((a) => [a.device, a.ruleId, a.severity, a.state].join(' '));
    assert.deepEqual([...rows.slice(0, 2)].sort(), ['a h-silent info active', 'b h-silent info active']);
    assert.deepEqual(rows.slice(2), ['b h-hot critical active', 'a h-hot warning cleared']);
    assert.deepEqual((await s.history({ site: 'h1', state: ['cleared'] })).alerts.map((a) => a.device), ['a']);
    assert.deepEqual((await s.history({ severity: ['critical'], ruleId: 'h-hot' })).alerts.map((a) => `${a.site}/${a.device}`), ['h1/b']);
    assert.deepEqual((await s.history({ device: 'h2/r/a', state: ['acknowledged'] })).alerts.length, 0, 'an unknown deviceId matches nothing');
    assert.deepEqual((await s.history({ device: 'h2/cocina/a', state: ['acknowledged'] })).alerts.map((a) => a.acknowledgedBy), ['bob']);
    // Time range: alerts open at some moment in [from, to]. h1/a was open from base to base+30 s.
    const early = await s.history({ site: 'h1', ruleId: 'h-hot', from: base + 31 * S, to: base + 200 * S });
    assert.deepEqual(early.alerts.map((a) => a.device), ['b'], 'the cleared one ended before "from"');
    const window = await s.history({ site: 'h1', from: base, to: base + 5 * S });
    assert.deepEqual(window.alerts.map((a) => a.device), ['a'], 'only h1/a had been raised by base + 5 s');
    const page1 = await s.history({ site: 'h1', limit: 3, offset: 0 });
    const page2 = await s.history({ site: 'h1', limit: 3, offset: 3 });
    assert.deepEqual([page1.alerts.length, page1.total, page2.alerts.length, page2.total], [3, 4, 1, 4]);
    const past = await queryAlerts(database.pool, { site: 'h1', limit: 3, offset: 30 });
    assert.deepEqual([past.alerts.length, past.total], [0, 4]);
    const detail = await s.alertWithEvents(h2.id);
    assert.deepEqual(detail?.events.map((e) => [e.type, e.by ?? null]), [
      ['raised', null],
      ['acknowledged', 'bob'],
    ]);
  });

  it('rules set by message survive a restart until the editor rules change', async () => {
    const editor: AlertRule[] = [{ id: 'e1', site: 'm', condition: 'above', threshold: 10 }];
    const fromFlow: AlertRule[] = [{ id: 'f1', site: 'm', condition: 'above', threshold: 20 }];
    clock = T0;
    const first = await service(editor, { nodeId: 'alert-node-1' });
    assert.deepEqual(first.s.setRules([{ id: 'x', condition: 'above' }]), { ok: false, error: 'rule 1 ("x"): threshold is required for condition "above" (e.g. "threshold": 30)' });
    assert.deepEqual(first.s.setRules(fromFlow), { ok: true, count: 1 });
    await restart(first.s);
    const second = await service(editor, { nodeId: 'alert-node-1' });
    assert.deepEqual([second.s.rulesSource, second.s.engine.rules.map((r) => r.id)], ['message', ['f1']]);
    await restart(second.s);
    const edited = await service([{ id: 'e2', site: 'm', condition: 'below', threshold: 0 }], { nodeId: 'alert-node-1' });
    assert.deepEqual([edited.s.rulesSource, edited.s.engine.rules.map((r) => r.id)], ['editor', ['e2']]);
  });
  it('a transition just before shutdown is written even though the database config node closes beside the alert node', async () => {
    const own = new Database({ connectionString: tdb.url, poolSize: 2 });
    await own.ready();
    const s = new AlertService({ database: () => own.ready(), rules: [{ id: 'late', device: 'caldera', condition: 'above', threshold: 90 }], now: () => clock, tickIntervalMs: 3_600_000, saveIntervalMs: 3_600_000 });
    await s.start();
    s.observeReadings([reading(95, { device: 'caldera' })]);
    // Node-RED calls the alert node's close handler, then the config node's, without waiting in between.
    await Promise.all([s.stop(), own.close()]);
    const rows = await database.pool.query(`select state, value from alerts where rule_id = 'late'`);
    assert.deepEqual(rows.rows, [{ state: 'active', value: 95 }]);
  });
});
