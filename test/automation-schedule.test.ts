import assert from 'node:assert/strict';
import type { Slot } from '../lib/automation/automation-types';
import { dueRuns, inTimeWindow, nextOccurrence, occurrences, SlotTimer, type SiteClock } from '../lib/automation/schedule-plan';

/** Schedules in a site's local time, around the Madrid DST changes of 2026 (fixed instants: a set clock, never the calendar). */
const madrid: SiteClock = { timeZone: 'Europe/Madrid', latitude: 40.4168, longitude: -3.7038 };
const weekdays7: Slot = { kind: 'weekly', days: [1, 2, 3, 4, 5], time: '07:00', value: 21 };
const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

describe('schedules in local time (lib/automation/schedule-plan)', () => {
  it('a weekday 07:00 slot falls at 07:00 local on both sides of the spring change, weekdays only', () => {
    const got = occurrences([weekdays7], madrid, at('2026-03-26T00:00:00Z'), at('2026-03-31T23:00:00Z')).map((o) => iso(o.at));
    // Thu, Fri in CET (UTC+1); Sat, Sun skipped; Mon, Tue in CEST (UTC+2).
    assert.deepEqual(got, ['2026-03-26T06:00:00.000Z', '2026-03-27T06:00:00.000Z', '2026-03-30T05:00:00.000Z', '2026-03-31T05:00:00.000Z']);
  });

  it('a time in the spring-forward gap runs once, just after it; a time the autumn repeats runs once, the first time', () => {
    const daily: Slot = { kind: 'weekly', days: [1, 2, 3, 4, 5, 6, 7], time: '02:30' };
    const spring = occurrences([daily], madrid, at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z')).map((o) => iso(o.at));
    assert.deepEqual(spring, ['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
    const autumn = occurrences([daily], madrid, at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z')).map((o) => iso(o.at));
    assert.deepEqual(autumn, ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('a clock ticking every 30 s through both DST nights runs each daily slot exactly once', () => {
    for (const [start, days] of [['2026-03-27T00:00:00Z', 4], ['2026-10-23T00:00:00Z', 4]] as const) {
      const slots: Slot[] = [
        { kind: 'weekly', days: [1, 2, 3, 4, 5, 6, 7], time: '02:30' },
        { kind: 'weekly', days: [1, 2, 3, 4, 5, 6, 7], time: '07:00' },
      ];
      const timer = new SlotTimer(at(start));
      const runs: number[] = [];
      for (let now = at(start); now <= at(start) + days * 86_400_000; now += 30_000) {
        const due = timer.check(slots, madrid, now, 5 * 60_000);
        assert.deepEqual(due?.missed ?? [], []);
        if (due?.run) runs.push(due.run.at);
      }
      assert.equal(runs.length, days * 2, `${start}: ${runs.map(iso).join(' ')}`);
      assert.equal(new Set(runs).size, runs.length);
    }
  });

  it('after a restart, the latest slot within the grace window runs once and older ones are missed', () => {
    const lastRun = at('2026-03-25T06:00:00Z'); // Wednesday's 07:00
    const within = dueRuns([weekdays7], madrid, lastRun, at('2026-03-27T06:03:00Z'), 5 * 60_000);
    assert.equal(iso(within.run!.at), '2026-03-27T06:00:00.000Z');
    assert.deepEqual(within.missed.map((o) => iso(o.at)), ['2026-03-26T06:00:00.000Z']);
    const again = dueRuns([weekdays7], madrid, within.lastSlot, at('2026-03-27T06:04:00Z'), 5 * 60_000);
    assert.equal(again.run, undefined, 'not twice');
    const late = dueRuns([weekdays7], madrid, lastRun, at('2026-03-27T06:10:00Z'), 5 * 60_000);
    assert.equal(late.run, undefined);
    assert.equal(late.missed.length, 2);
  });

  it('one-off times and sunrise/sunset with an offset; no location, no sun slots', () => {
    const once: Slot = { kind: 'once', at: '2026-06-01T18:30:00+02:00', value: true };
    assert.deepEqual(occurrences([once], madrid, at('2026-06-01T00:00:00Z'), at('2026-06-02T00:00:00Z')).map((o) => iso(o.at)), ['2026-06-01T16:30:00.000Z']);
    const sunset: Slot = { kind: 'sun', days: [1, 2, 3, 4, 5, 6, 7], event: 'sunset', offsetMinutes: -30 };
    const [o] = occurrences([sunset], madrid, at('2026-06-21T00:00:00Z'), at('2026-06-22T00:00:00Z'));
    // Madrid's midsummer sunset is about 21:48 CEST (19:48Z): 30 min earlier is about 19:18Z.
    assert.ok(Math.abs(o.at - at('2026-06-21T19:18:00Z')) < 3 * 60_000, iso(o.at));
    // Svalbard at midwinter: the sun does not set (nor rise), so a sunset slot never falls.
    const svalbard = { timeZone: 'Arctic/Longyearbyen', latitude: 78.22, longitude: 15.65 };
    assert.deepEqual(occurrences([sunset], svalbard, at('2026-12-20T00:00:00Z'), at('2026-12-23T00:00:00Z')), []);
    assert.deepEqual(occurrences([sunset], { ...madrid, latitude: null, longitude: null }, at('2026-06-21T00:00:00Z'), at('2026-06-22T00:00:00Z')), []);
    assert.equal(iso(nextOccurrence([weekdays7], madrid, at('2026-03-27T06:00:00Z'))!.at), '2026-03-30T05:00:00.000Z');
  });

  it('time windows wrap midnight', () => {
    assert.equal(inTimeWindow(at('2026-01-10T22:30:00Z'), 'Europe/Madrid', '22:00', '07:00'), true); // 23:30 local
    assert.equal(inTimeWindow(at('2026-01-10T12:00:00Z'), 'Europe/Madrid', '22:00', '07:00'), false);
    assert.equal(inTimeWindow(at('2026-01-10T12:00:00Z'), 'Europe/Madrid', '08:00', '20:00'), true);
  });
});
