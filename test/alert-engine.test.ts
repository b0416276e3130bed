import assert from 'node:assert/strict';
import { AlertEngine, parseQuietHours, type AlertTransition } from '../lib/alerts/alert-engine';
import { checkRules, compileRules, RuleIndex, type AlertRule } from '../lib/alerts/rules';
import type { Reading, ReadingValue } from '../lib/model/reading';

/** Deterministic time: 2026-11-23 10:00:00 UTC, advanced by hand. */
const T0 = Date.parse('2026-11-23T10:00:00Z'); // the engine's injected clock
const S = 1000;

function reading(value: ReadingValue, over: Partial<Reading> = {}): Reading {
  const site = over.site ?? 'casa';
  const room = over.room ?? 'cocina';
  const device = over.device ?? 'nevera';
  return { deviceId: `${site}/${room}/${device}`, site, room, device, attribute: 'temperature', value, unit: '°C', ts: 0, deviceTs: false, ...over };
}

function engine(rules: AlertRule[], opts: ConstructorParameters<typeof AlertEngine>[1] = {}): AlertEngine {
  const checked = checkRules(rules);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  let n = 0;
  return new AlertEngine(checked.rules, { newId: () => `alert-${++n}`, ...opts });
}

const types = (ts: readonly AlertTransition[]) => ts.map((t) => `${t.type}:${t.alert.severity}`);

/** Feeds values one per `stepMs`, ticking in between; returns every transition. */
function feed(e: AlertEngine, values: ReadingValue[], start: number, stepMs: number, over: Partial<Reading> = {}): AlertTransition[] {
  const out: AlertTransition[] = [];
  values.forEach((v, i) => {
    const now = start + i * stepMs;
    out.push(...e.tick(now));
    out.push(...e.observe(reading(v, over), now));
  });
  return out;
}

describe('alert rules: validation', () => {
  it('accepts a full rule and answers problems with sentences naming rule and field', () => {
    assert.equal(checkRules([{ id: 'hot', condition: 'above', threshold: 30, deadband: 2, forS: 300, severity: 'warning', escalate: [{ severity: 'critical', threshold: 40 }] }]).ok, true);
    const bad = checkRules([
      { id: 'a', condition: 'above' },
      { id: 'b', condition: 'warmer', threshold: 1 },
      { id: 'c', condition: 'below', threshold: 5, clearThreshold: 3 },
      { id: 'd', condition: 'above', threshold: 5, colour: 'red' },
    ]);
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.ok(bad.errors.includes('rule 1 ("a"): threshold is required for condition "above" (e.g. "threshold": 30)'), bad.errors.join('\n'));
    assert.ok(bad.errors.some((e) => /^rule 2 \("b"\): condition must be one of "above", "below"/.test(e)), bad.errors.join('\n'));
    assert.ok(bad.errors.some((e) => /^rule 4 \("d"\): unknown field "colour" \(allowed: id, name/.test(e)), bad.errors.join('\n'));
  });

  it('checks what a schema cannot: clear side, duplicate ids, escalation order, template fields', () => {
    const r = checkRules([
      { id: 'c', condition: 'below', threshold: 5, clearThreshold: 3 },
      { id: 'c', condition: 'above', threshold: 5, escalate: [{ severity: 'info', threshold: 9 }] },
      { id: 'e', condition: 'equals', value: 'open', threshold: 3 },
      { id: 'f', condition: 'above', threshold: 1, message: '{device} is {temperature}' },
      { id: 'g', condition: 'outside', min: 10, max: 5 },
    ]);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.errors, [
      'rule 1 ("c"): clearThreshold 3 must not be below threshold 5: a "below" alert clears when the value rises back to clearThreshold or above',
      'rule 2 ("c"): id "c" is already used by rule 1; ids must be unique',
      'rule 2 ("c"): escalate[1]: severity "info" must be higher than the rule\'s ("warning")',
      'rule 3 ("e"): threshold does not apply to condition "equals" (it takes value)',
      'rule 4 ("f"): message uses unknown field {temperature} (known: site, room, device, deviceId, attribute, value, previous, unit, threshold, min, max, rate, severity, rule, ruleId, condition, forS, silence)',
      'rule 5 ("g"): min 10 must be below max 5',
    ]);
    assert.deepEqual(checkRules('[]'), { ok: false, errors: ['rules must be a JSON array of rule objects, not text ("[]")'] });
  });

  it('parses quiet hours, wrapping midnight', () => {
    assert.deepEqual(parseQuietHours('22:00-07:00'), { ok: true, value: { startMin: 1320, endMin: 420 } });
    assert.deepEqual(parseQuietHours(''), { ok: true, value: undefined });
    assert.equal(parseQuietHours('25:00-07:00').ok, false);
  });
});

describe('alert rules: index', () => {
  it('a reading meets only the rules that can match it (exact keys, wildcards, globs, kind)', () => {
    const rules = compileRules([
      { id: 'dev-1', device: 'nevera', attribute: 'temperature', condition: 'above', threshold: 8 },
      { id: 'dev-2', device: 'horno', attribute: 'temperature', condition: 'above', threshold: 250 },
      { id: 'site', site: 'casa', attribute: 'temperature', condition: 'above', threshold: 40 },
      { id: 'glob', device: 'nev*', attribute: '*', condition: 'changed' },
      { id: 'kind', kind: 'fridge', attribute: 'temperature', condition: 'above', threshold: 5 },
      { id: 'room', room: 'salon', condition: 'nodata', noDataS: 60 },
      { id: 'other-site', site: 'oficina', device: 'nevera', attribute: 'temperature', condition: 'below', threshold: 0 },
    ]);
    const index = new RuleIndex(rules);
    const ids = (r: Reading, kind?: string) => index.candidates(r, kind).map((c) => c.id);
    assert.deepEqual(ids(reading(5)), ['dev-1', 'site', 'glob']);
    assert.deepEqual(ids(reading(5), 'fridge'), ['dev-1', 'site', 'glob', 'kind']);
    assert.deepEqual(ids(reading(5, { room: 'salon', device: 'tv', attribute: 'power' })), ['room']);
    assert.deepEqual(ids(reading(5, { site: 'oficina' })), ['dev-1', 'glob', 'other-site']);
    assert.equal(index.usesKind, true);
  });
});

describe('alert engine (pure state machine, deterministic time)', () => {
  it('raises only after the condition held for the duration, measured in time (tick) or in readings', () => {
    const e = engine([{ id: 'hot', condition: 'above', threshold: 30, forS: 300 }]);
    assert.deepEqual(types(e.observe(reading(31), T0)), []);
    assert.deepEqual(types(e.tick(T0 + 299 * S)), []);
    // A dip below resets the duration.
    assert.deepEqual(types(e.observe(reading(29), T0 + 200 * S)), []);
    assert.deepEqual(types(e.observe(reading(32), T0 + 250 * S)), []);
    assert.deepEqual(types(e.tick(T0 + 549 * S)), []);
    const raised = e.tick(T0 + 550 * S);
    assert.deepEqual(types(raised), ['raised:warning']);
    assert.equal(raised[0].alert.message, 'nevera temperature is 32°C, above 30°C');
    assert.equal(raised[0].alert.raisedAt, T0 + 550 * S);

    const byCount = engine([{ id: 'hot3', condition: 'above', threshold: 30, forReadings: 3 }]);
    assert.deepEqual(types(feed(byCount, [31, 31, 29, 31, 31], T0, S)), []);
    assert.deepEqual(types(byCount.observe(reading(31), T0 + 10 * S)), ['raised:warning']);
  });

  it('does not flap across a band of values around the threshold, and clears with hysteresis', () => {
    const e = engine([{ id: 'hot', condition: 'above', threshold: 30, deadband: 2 }]);
    const band = [29.6, 30.4, 29.8, 30.2, 29.1, 30.9, 28.5, 30.1, 28.1, 31, 29, 30.5];
    assert.deepEqual(types(feed(e, band, T0, 10 * S)), ['raised:warning'], 'one raise, no clear inside the band');
    assert.deepEqual(types(e.observe(reading(28.2), T0 + 200 * S)), []);
    assert.deepEqual(types(e.observe(reading(28), T0 + 210 * S)), ['cleared:warning'], 'clears at threshold − deadband');
    const again = feed(e, band, T0 + 300 * S, 10 * S);
    assert.deepEqual(types(again), ['raised:warning']);

    // An explicit clear threshold and a clear duration.
    const c = engine([{ id: 'cold', condition: 'below', threshold: 5, clearThreshold: 7, clearForS: 60 }]);
    assert.deepEqual(types(c.observe(reading(4), T0)), ['raised:warning']);
    assert.deepEqual(types(c.observe(reading(7.5), T0 + 10 * S)), []);
    assert.deepEqual(types(c.observe(reading(6.5), T0 + 40 * S)), [], 'back in the band: the clear duration starts over');
    assert.deepEqual(types(c.observe(reading(7.2), T0 + 50 * S)), []);
    assert.deepEqual(types(c.tick(T0 + 109 * S)), []);
    const cleared = c.tick(T0 + 110 * S);
    assert.deepEqual(types(cleared), ['cleared:warning']);
    assert.equal(cleared[0].by, 'auto');
  });

  it('raises no-data after T seconds of silence and clears when the series reports again', () => {
    const e = engine([{ id: 'silent', attribute: 'temperature', condition: 'nodata', noDataS: 600, severity: 'critical' }]);
    assert.deepEqual(types(e.observe(reading(4), T0)), []);
    assert.deepEqual(types(e.tick(T0 + 599 * S)), []);
    const raised = e.tick(T0 + 600 * S);
    assert.deepEqual(types(raised), ['raised:critical']);
    assert.equal(raised[0].alert.cause, 'no-data');
    assert.equal(raised[0].alert.message, 'nevera temperature: no data for 10 min');
    assert.deepEqual(types(e.tick(T0 + 900 * S)), [], 'raised once, not at every tick');
    const back = e.observe(reading(4.2), T0 + 1000 * S);
    assert.deepEqual(types(back), ['cleared:critical']);
    assert.equal(back[0].note, 'data resumed');

    // A threshold rule with a no-data limit too: silence raises, the next reading clears and is evaluated.
    const both = engine([{ id: 'hot', condition: 'above', threshold: 30, noDataS: 60 }]);
    both.observe(reading(20), T0);
    assert.deepEqual(types(both.tick(T0 + 60 * S)), ['raised:warning']);
    assert.deepEqual(types(both.observe(reading(35), T0 + 70 * S)), ['cleared:warning', 'raised:warning']);
  });

  it('escalates severity by threshold and by duration; an acknowledged alert that escalates needs attention again', () => {
    const e = engine([{ id: 'hot', condition: 'above', threshold: 30, escalate: [{ severity: 'critical', threshold: 40 }] }]);
    assert.deepEqual(types(e.observe(reading(35), T0)), ['raised:warning']);
    const id = e.openAlerts()[0].id;
    assert.equal(e.acknowledge(id, 'ana', 'looking', T0 + S).ok, true);
    assert.deepEqual(types(e.observe(reading(38), T0 + 2 * S)), []);
    const up = e.observe(reading(41), T0 + 3 * S);
    assert.deepEqual(types(up), ['escalated:critical']);
    assert.equal(up[0].previousSeverity, 'warning');
    assert.equal(up[0].alert.state, 'active');
    assert.equal(up[0].alert.acknowledgedBy, undefined);
    assert.deepEqual(types(e.observe(reading(35), T0 + 4 * S)), [], 'no de-escalation while open');
    assert.deepEqual(types(e.observe(reading(29), T0 + 5 * S)), ['cleared:critical']);

    const long = engine([{ id: 'hot', condition: 'above', threshold: 30, forS: 60, escalate: [{ severity: 'critical', forS: 1800 }] }]);
    long.observe(reading(31), T0);
    assert.deepEqual(types(long.tick(T0 + 60 * S)), ['raised:warning']);
    assert.deepEqual(types(long.tick(T0 + 1799 * S)), []);
    assert.deepEqual(types(long.tick(T0 + 1800 * S)), ['escalated:critical']);
    // Straight to critical when both levels hold at once.
    const direct = engine([{ id: 'hot', condition: 'above', threshold: 30, escalate: [{ severity: 'critical', threshold: 40 }] }]);
    assert.deepEqual(types(direct.observe(reading(45), T0)), ['raised:critical']);
  });

  it('acknowledge then clear: by whom, when, with a note; automatic and by hand; errors for unknown and finished alerts', () => {
    const e = engine([{ id: 'hot', condition: 'above', threshold: 30 }]);
    e.observe(reading(31), T0);
    const id = e.openAlerts()[0].id;
    const ack = e.acknowledge(id, 'ana', 'fridge door was open', T0 + 5 * S);
    assert.ok(ack.ok);
    assert.deepEqual([ack.alert.state, ack.alert.acknowledgedBy, ack.alert.acknowledgedAt, ack.alert.acknowledgeNote], ['acknowledged', 'ana', T0 + 5 * S, 'fridge door was open']);
    assert.deepEqual(ack.transitions.map((t) => [t.type, t.by, t.note]), [['acknowledged', 'ana', 'fridge door was open']]);
    const twice = e.acknowledge(id, 'bob', undefined, T0 + 6 * S);
    assert.deepEqual(twice, { ok: false, status: 409, error: `alert ${id} is already acknowledged by ana` });
    assert.deepEqual(types(e.observe(reading(25), T0 + 10 * S)), ['cleared:warning'], 'an acknowledged alert still clears automatically');
    assert.equal(e.acknowledge(id, 'ana', undefined, T0 + 11 * S).ok, false);
    assert.deepEqual(e.clear(id, 'ana', T0 + 11 * S), { ok: false, status: 409, error: `alert ${id} is already cleared` });
    assert.deepEqual(e.acknowledge('nope', 'ana', undefined, T0), { ok: false, status: 404, error: 'no open alert nope' });

    // By hand while the condition still holds: a new alert needs the full duration again.
    const h = engine([{ id: 'hot', condition: 'above', threshold: 30, forReadings: 2 }]);
    feed(h, [31, 31], T0, S);
    const hid = h.openAlerts()[0].id;
    const cleared = h.clear(hid, 'bob', T0 + 3 * S, 'sensor moved');
    assert.ok(cleared.ok);
    assert.deepEqual([cleared.alert.state, cleared.alert.clearedBy, cleared.alert.clearReason], ['cleared', 'bob', 'sensor moved']);
    assert.deepEqual(types(h.observe(reading(31), T0 + 4 * S)), []);
    assert.deepEqual(types(h.observe(reading(31), T0 + 5 * S)), ['raised:warning']);
  });

  it('repeats an unacknowledged alert; quiet hours hold non-critical repeats until they end', () => {
    const e = engine(
      [
        { id: 'warm', device: 'nevera', condition: 'above', threshold: 8 },
        { id: 'flood', device: 'sotano', attribute: 'water', condition: 'equals', value: true, severity: 'critical' },
      ],
      { repeatMs: 3600 * S, quietHours: { startMin: 22 * 60, endMin: 7 * 60 }, timeZone: 'UTC' },
    );
    const evening = Date.parse('2026-11-23T20:30:00Z');
    e.observe(reading(9), evening);
    e.observe(reading(true, { device: 'sotano', attribute: 'water' }), evening);
    assert.deepEqual(types(e.tick(evening + 3599 * S)), []);
    assert.deepEqual(types(e.tick(evening + 3600 * S)), ['repeated:warning', 'repeated:critical'], '21:30: both repeat');
    // 22:30, 23:30, …, 06:30: only the critical one repeats.
    const night: string[] = [];
    for (let h = 2; h <= 10; h++) night.push(...types(e.tick(evening + h * 3600 * S)));
    assert.deepEqual(night, Array(9).fill('repeated:critical'));
    const morning = e.tick(Date.parse('2026-11-24T07:00:00Z'));
    assert.deepEqual(types(morning), ['repeated:warning'], 'the held repeat goes out at 07:00');
    assert.equal(morning[0].alert.repeats, 2);
    // Acknowledged: no more repeats.
    const flood = e.openAlerts().find((a) => a.ruleId === 'flood');
    assert.ok(flood);
    e.acknowledge(flood.id, 'ana', undefined, Date.parse('2026-11-24T07:01:00Z'));
    assert.deepEqual(types(e.tick(Date.parse('2026-11-24T09:00:00Z'))), ['repeated:warning']);
  });

  it('a restart in the middle of a pending duration resumes it; a restart with an active alert does not raise it again', () => {
    const rules: AlertRule[] = [{ id: 'hot', condition: 'above', threshold: 30, forS: 300, deadband: 1, noDataS: 3600 }];
    const before = engine(rules);
    before.observe(reading(31), T0);
    before.observe(reading(32), T0 + 100 * S);
    const mid = before.snapshot();
    assert.equal(mid.pending.length, 1);
    assert.equal(mid.pending[0].since[0], T0);

    const after = engine(rules);
    assert.deepEqual(after.restore(JSON.parse(JSON.stringify(mid)), T0 + 200 * S), []);
    assert.deepEqual(types(after.observe(reading(33), T0 + 250 * S)), [], 'not yet: 250 s of 300');
    const raised = after.tick(T0 + 300 * S);
    assert.deepEqual(types(raised), ['raised:warning'], 'the duration counts from before the restart');

    const active = after.snapshot();
    assert.equal(active.alerts.length, 1);
    const again = engine(rules);
    assert.deepEqual(again.restore(JSON.parse(JSON.stringify(active)), T0 + 400 * S), []);
    assert.deepEqual(types(again.observe(reading(34), T0 + 410 * S)), [], 'still active: no second raise');
    assert.deepEqual(types(again.tick(T0 + 2000 * S)), []);
    assert.equal(again.openAlerts()[0].id, raised[0].alert.id);
    assert.deepEqual(types(again.observe(reading(28), T0 + 2100 * S)), ['cleared:warning']);
  });

  it('a restart with rules changed: alerts of removed rules are cleared; silence counts from the restart', () => {
    const e = engine([
      { id: 'hot', condition: 'above', threshold: 30 },
      { id: 'silent', condition: 'nodata', noDataS: 600 },
    ]);
    e.observe(reading(35), T0);
    const snap = e.snapshot();
    const next = engine([{ id: 'silent', condition: 'nodata', noDataS: 600 }]);
    const out = next.restore(snap, T0 + 3600 * S);
    assert.deepEqual(out.map((t) => [t.type, t.alert.ruleId, t.note]), [['cleared', 'hot', 'rule removed']]);
    assert.deepEqual(types(next.tick(T0 + 3600 * S + 599 * S)), [], 'an hour down proves nothing about the sensor');
    assert.deepEqual(types(next.tick(T0 + 3600 * S + 600 * S)), ['raised:warning']);
  });

  it('outside / inside ranges, equals, changed and rate of change', () => {
    const range = engine([{ id: 'comfort', condition: 'outside', min: 18, max: 24, deadband: 0.5 }]);
    assert.deepEqual(types(feed(range, [20, 24.2, 23.8, 24.4, 23.4], T0, S)), ['raised:warning', 'cleared:warning']);
    const inside = engine([{ id: 'mould', attribute: 'humidity', condition: 'inside', min: 70, max: 100, clearMin: 65 }]);
    assert.deepEqual(types(feed(inside, [60, 72, 68, 64], T0, S, { attribute: 'humidity' })), ['raised:warning', 'cleared:warning']);
    const door = engine([{ id: 'door', attribute: 'contact', condition: 'equals', value: 'open', forS: 120 }]);
    const doorSeq = feed(door, ['closed', 'open', 'open', 'open'], T0, 60 * S, { attribute: 'contact' });
    assert.deepEqual(types(doorSeq), ['raised:warning']);
    assert.equal(doorSeq[0].at, T0 + 180 * S);
    const fw = engine([{ id: 'fw', attribute: 'firmware', condition: 'changed', severity: 'info', clearForS: 3600 }]);
    const fwSeq = feed(fw, ['1.0', '1.0', '1.1', '1.1'], T0, S, { attribute: 'firmware' });
    assert.deepEqual(types(fwSeq), ['raised:info']);
    assert.equal(fwSeq[0].alert.message, 'nevera firmware changed from 1.0 to 1.1');
    assert.deepEqual(types(fw.tick(T0 + 3601 * S)), []);
    assert.deepEqual(types(fw.tick(T0 + 3602 * S)), ['cleared:info']);
    // Rate: rising more than 2 °C/min, clearing once the rise slows to 0.5 °C/min.
    const rate = engine([{ id: 'fire', condition: 'rate', threshold: 2, windowS: 120, clearThreshold: 0.5, severity: 'critical' }]);
    const rateSeq = feed(rate, [20, 20.5, 21, 24, 27, 27.2, 27.3, 27.3, 27.3], T0, 30 * S);
    assert.deepEqual(types(rateSeq), ['raised:critical', 'cleared:critical']);
    assert.equal(rateSeq[0].at, T0 + 90 * S, '4 °C in 90 s: 2.67 °C/min');
    assert.equal(rateSeq[1].at, T0 + 240 * S, '0.3 °C over the last 2 min');
  });

  it('selects by device kind given with the reading', () => {
    const e = engine([{ id: 'fridges', kind: 'fridge', attribute: 'temperature', condition: 'above', threshold: 8 }]);
    assert.equal(e.usesKind, true);
    assert.deepEqual(types(e.observe(reading(12), T0)), [], 'kind unknown: no match');
    assert.deepEqual(types(e.observe(reading(12), T0 + S, 'fridge')), ['raised:warning']);
    assert.deepEqual(types(e.observe(reading(12, { device: 'horno' }), T0 + S, 'oven')), []);
  });

  it('rules replaced at run time: unchanged rules keep their state, removed ones clear their alerts', () => {
    const e = engine([
      { id: 'hot', condition: 'above', threshold: 30, forReadings: 3 },
      { id: 'cold', condition: 'below', threshold: 0 },
    ]);
    feed(e, [31, 31], T0, S);
    e.observe(reading(-1, { device: 'congelador' }), T0 + 2 * S);
    const out = e.setRules([{ id: 'hot', condition: 'above', threshold: 30, forReadings: 3 }], T0 + 3 * S);
    assert.deepEqual(out.map((t) => [t.type, t.alert.ruleId, t.note]), [['cleared', 'cold', 'rule removed']]);
    assert.deepEqual(types(e.observe(reading(31), T0 + 4 * S)), ['raised:warning'], 'the third reading completes the pending count');
  });

  it('a rule edited in place keeps its open alert (new limits apply from the next reading); pending counts start afresh', () => {
    const e = engine([
      { id: 'hot', condition: 'above', threshold: 30, deadband: 2 },
      { id: 'humid', attribute: 'humidity', condition: 'above', threshold: 70, forReadings: 3 },
    ]);
    e.observe(reading(31), T0);
    feed(e, [75, 75], T0, S, { attribute: 'humidity' });
    const id = e.openAlerts()[0].id;
    const out = e.setRules(
      [
        { id: 'hot', condition: 'above', threshold: 35, deadband: 10 },
        { id: 'humid', attribute: 'humidity', condition: 'above', threshold: 72, forReadings: 3 },
      ],
      T0 + 5 * S,
    );
    assert.deepEqual(out, []);
    assert.equal(e.openAlerts()[0].id, id);
    assert.deepEqual(types(e.observe(reading(27), T0 + 6 * S)), [], 'the new clear limit is 25');
    assert.deepEqual(types(e.observe(reading(24), T0 + 7 * S)), ['cleared:warning']);
    assert.deepEqual(types(feed(e, [75, 75], T0 + 8 * S, S, { attribute: 'humidity' })), [], 'two of three again after the edit');
    assert.deepEqual(types(e.observe(reading(75, { attribute: 'humidity' }), T0 + 10 * S)), ['raised:warning']);
  });

  it('costs no allocation per reading when nothing changes: the same frozen empty list comes back', () => {
    const e = engine([{ id: 'hot', condition: 'above', threshold: 30 }]);
    const r = reading(20);
    const a = e.observe(r, T0);
    const b = e.observe(r, T0 + S);
    assert.equal(a, b);
    assert.equal(Object.isFrozen(a), true);
    assert.equal(a.length, 0);
    const dirty = e.takeDirty();
    assert.deepEqual([dirty.alerts.length, dirty.events.length, dirty.pending.length], [0, 0, 0], 'nothing to write for quiet readings');
  });
});
