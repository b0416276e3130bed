import assert from 'node:assert/strict';
import { isReading, readingProblem } from '../lib/model/reading';
import { numberIn, numberSetting } from '../lib/node-config/number-settings';
import { startWithRetry } from '../lib/util/retry';

/** The helpers the nodes share instead of each keeping a copy: number settings, the retry loop, the reading guard. */
describe('shared node helpers', () => {
  it('number settings: empty or absent is the default, text is read as a number, the range problem names the setting', () => {
    assert.equal(numberSetting('', 100), 100);
    assert.equal(numberSetting(undefined, 100), 100);
    assert.equal(numberSetting('0', 100), 0);
    assert.equal(numberSetting(250, 100), 250);
    assert.ok(Number.isNaN(numberSetting('soon', 100)));
    assert.deepEqual(numberIn('20', 10, 1, 3600, 'command timeout (s)'), { value: 20 });
    assert.deepEqual(numberIn('', 10, 1, 3600, 'command timeout (s)'), { value: 10 });
    assert.deepEqual(numberIn('0', 10, 1, 3600, 'command timeout (s)'), { value: 10, problem: 'command timeout (s) 0 is outside 1–3600' });
    assert.deepEqual(numberIn('x', 10, 1, 3600, 'command timeout (s)'), { value: 10, problem: 'command timeout (s) x is outside 1–3600' });
  });

  it('start with retry: tries again after each failure until it works, and not at all once stopped', async () => {
    let attempts = 0;
    const failures: string[] = [];
    let started: string | undefined;
    const run = startWithRetry(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`down ${attempts}`);
        return 'up';
      },
      { retryMs: 5, onStarted: (v) => (started = v), onFailure: (err) => failures.push(err.message) },
    );
    await run.settled;
    assert.equal(started, 'up');
    assert.deepEqual(failures, ['down 1', 'down 2']);
    assert.equal(run.stopped, false);

    let tries = 0;
    const stoppedRun = startWithRetry(
      () => {
        tries++;
        return Promise.reject(new Error('down'));
      },
      { retryMs: 5, onStarted: () => assert.fail('never starts'), onFailure: () => stoppedRun.stop() },
    );
    await stoppedRun.settled;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(tries, 1);
    assert.equal(stoppedRun.stopped, true);
  });

  it('the reading guard: one answer, with the reason', () => {
    const r = { deviceId: 'h/r/d', site: 'h', room: 'r', device: 'd', attribute: 't', value: 1, ts: 1_700_000_000_000, deviceTs: false };
    assert.equal(isReading(r), true);
    assert.equal(readingProblem(r), undefined);
    const bad: Array<[unknown, RegExp]> = [
      [null, /must be an object/],
      [{ ...r, deviceId: '' }, /deviceId/],
      [{ ...r, ts: undefined }, /ts must be epoch milliseconds/],
      [{ ...r, value: undefined }, /value must be a number, boolean or string/],
      [{ ...r, value: Number.NaN }, /finite/],
      [{ ...r, room: 5 }, /site, room and device/],
    ];
    for (const [x, why] of bad) {
      assert.equal(isReading(x), false);
      assert.match(String(readingProblem(x)), why);
    }
  });
});
