import assert from 'node:assert/strict';
import { findLoop } from '../lib/automation/automation-check';
import { AutomationEngine, conditionsFail } from '../lib/automation/automation-engine';
import type { Automation, Scene } from '../lib/automation/automation-types';
import { applyTargets } from '../lib/automation/scene-apply';

const T0 = Date.parse('2027-01-15T10:00:00Z');
const auto = (id: string, over: Partial<Automation>): Automation => ({
  id,
  site: 'casa',
  name: id,
  enabled: true,
  trigger: { type: 'reading', deviceId: 'casa/salon/termo', attribute: 'temperature', above: 25 },
  conditions: [],
  actions: [{ type: 'notify', message: 'hot' }],
  maxRunsPerHour: 60,
  updatedAt: T0,
  updatedBy: null,
  ...over,
});
const reading = (deviceId: string, attribute: string, value: number | boolean | string, ts = T0) => ({ deviceId, site: 'casa', room: 'salon', device: 'x', attribute, value, ts, deviceTs: false });

describe('automations (lib/automation, pure)', () => {
  it('a reading trigger fires when the value crosses the limit, not while it stays above; equals fires on every match', () => {
    const e = new AutomationEngine();
    e.set(auto('hot', {}));
    e.set(auto('motion', { trigger: { type: 'reading', deviceId: 'casa/hall/pir', attribute: 'motion', equals: true } }));
    const fired = (v: number) => e.onReading(reading('casa/salon/termo', 'temperature', v)).length;
    assert.deepEqual([20, 26, 27, 24, 26].map(fired), [0, 1, 0, 0, 1]);
    const motion = (v: boolean | string) => e.onReading(reading('casa/hall/pir', 'motion', v)).length;
    assert.deepEqual([true, 'ON', false, true].map(motion), [1, 1, 0, 1]);
    e.remove('hot');
    assert.equal(fired(30), 0);
  });

  it('each automation has an hourly rate limit', () => {
    const e = new AutomationEngine();
    const a = auto('a', { maxRunsPerHour: 2 });
    assert.deepEqual([0, 1, 2].map((i) => e.allow(a, T0 + i * 1000)), [true, true, false]);
    assert.equal(e.allow(a, T0 + 3_600_001), true, 'the first run has left the window');
  });

  it('conditions: a time window in the site zone, another device\'s state, someone home by OwnTracks', () => {
    const values: Record<string, unknown> = { 'casa/salon/luz|on': true, 'owntracks/ana/phone|transition': 'leave:home', 'owntracks/bob/phone|lat': 40.4169, 'owntracks/bob/phone|lon': -3.7039 };
    const facts = (now: number, trackers = ['owntracks/ana/phone']) => ({
      now,
      clock: { timeZone: 'Europe/Madrid', latitude: 40.4168, longitude: -3.7038 },
      value: (d: string, a: string) => values[`${d}|${a}`] as never,
      trackers: () => trackers,
    });
    assert.equal(conditionsFail([{ type: 'time', from: '10:00', to: '12:00' }], facts(T0)), undefined); // 11:00 in Madrid
    assert.equal(conditionsFail([{ type: 'time', from: '12:00', to: '13:00' }], facts(T0)), 'outside 12:00–13:00');
    assert.equal(conditionsFail([{ type: 'state', deviceId: 'casa/salon/luz', attribute: 'on', equals: 'on' }], facts(T0)), undefined);
    assert.equal(conditionsFail([{ type: 'home' }], facts(T0)), 'nobody is home', 'Ana left');
    assert.equal(conditionsFail([{ type: 'home' }], facts(T0, ['owntracks/ana/phone', 'owntracks/bob/phone'])), undefined, 'Bob is 15 m away');
  });

  it('a loop of automations through a command or a scene is found, a chain is not', () => {
    const scene: Scene = { id: 's1', site: 'casa', name: 'Evening', targets: [{ deviceId: 'casa/salon/luz', attribute: 'on', value: true }], previous: null, appliedAt: null, updatedAt: T0, updatedBy: null };
    const node = (a: Automation) => ({ id: a.id, name: a.name, def: a });
    const a = auto('a', { trigger: { type: 'reading', deviceId: 'casa/salon/luz', attribute: 'on', equals: true }, actions: [{ type: 'command', deviceId: 'casa/salon/plug', attribute: 'on', value: true }] });
    const b = auto('b', { trigger: { type: 'reading', deviceId: 'casa/salon/plug', attribute: 'on', equals: true }, actions: [{ type: 'scene', sceneId: 's1' }] });
    const c = auto('c', { trigger: { type: 'reading', deviceId: 'casa/salon/plug', attribute: 'on', equals: true }, actions: [{ type: 'notify', message: 'x' }] });
    assert.deepEqual(findLoop([a, b].map(node), () => scene), ['a', 'b', 'a']);
    assert.equal(findLoop([a, c].map(node), () => scene), undefined);
    assert.deepEqual(findLoop([auto('self', { trigger: { type: 'scene', sceneId: 's1' }, actions: [{ type: 'scene', sceneId: 's1' }] })].map(node), () => scene), ['self', 'self']);
  });

  it('a scene applies every target at once, retries a timeout once, reports each outcome', async () => {
    const attempts = new Map<string, number>();
    const results = await applyTargets(
      [
        { deviceId: 'luz', attribute: 'on', value: true },
        { deviceId: 'tv', attribute: 'on', value: true },
        { deviceId: 'flaky', attribute: 'on', value: true },
        { deviceId: 'gone', attribute: 'on', value: true },
      ],
      {
        send: async (t) => {
          if (t.deviceId === 'gone') return { ok: false, error: 'unknown device' };
          attempts.set(t.deviceId, (attempts.get(t.deviceId) ?? 0) + 1);
          return { ok: true, id: `${t.deviceId}#${attempts.get(t.deviceId)}` };
        },
        settled: async (id) => ({ status: id.startsWith('tv') || id === 'flaky#1' ? 'timeout' : 'confirmed' }),
      },
    );
    assert.deepEqual(results.map((r) => `${r.deviceId}:${r.outcome}/${r.attempts}`), ['luz:confirmed/1', 'tv:timeout/2', 'flaky:confirmed/2', 'gone:refused/1']);
  });
});
