import assert from 'node:assert/strict';
import { Batcher } from '../lib/ingest/6-batcher';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('flushes when maxItems are waiting, without waiting for the timer', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxItems: 3, maxWaitMs: 10000, flush: async (xs) => void batches.push(xs) });
    for (let i = 0; i < 7; i++) b.add(i);
    await tick(5);
    assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5]]);
    assert.equal(b.size, 1);
    b.close();
  });

  it('flushes a partial batch after maxWaitMs', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxItems: 100, maxWaitMs: 30, flush: async (xs) => void batches.push(xs) });
    b.add(1);
    b.add(2);
    await tick(10);
    assert.deepEqual(batches, []);
    await tick(60);
    assert.deepEqual(batches, [[1, 2]]);
    b.close();
  });

  it('runs one flush at a time, in arrival order, and batches what arrived meanwhile', async () => {
    const batches: number[][] = [];
    let running = 0;
    let maxRunning = 0;
    const b = new Batcher<number>({
      maxItems: 2,
      maxWaitMs: 5,
      flush: async (xs) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick(20);
        batches.push(xs);
        running--;
      },
    });
    for (let i = 0; i < 6; i++) b.add(i);
    await b.drain();
    assert.equal(maxRunning, 1);
    assert.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5]);
    assert.ok(batches.every((x) => x.length <= 2));
  });

  it('runs up to `concurrency` flushes at once, each with its own batch', async () => {
    let running = 0;
    let maxRunning = 0;
    const flushed: number[] = [];
    const b = new Batcher<number>({
      maxItems: 2,
      maxWaitMs: 5,
      concurrency: 3,
      flush: async (xs) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick(20);
        flushed.push(...xs);
        running--;
      },
    });
    for (let i = 0; i < 12; i++) b.add(i);
    await b.drain();
    assert.equal(maxRunning, 3);
    assert.deepEqual(flushed.sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('holds new batches back while one is failing, then catches up', async () => {
    let failuresLeft = 2;
    const calls: number[][] = [];
    const b = new Batcher<number>({
      maxItems: 1,
      maxWaitMs: 0,
      concurrency: 4,
      initialBackoffMs: 10,
      flush: async (xs) => {
        calls.push(xs);
        if (xs[0] === 0 && failuresLeft-- > 0) throw new Error('down');
      },
    });
    b.add(0);
    await tick(1);
    b.add(1);
    b.add(2);
    assert.equal(b.retrying, true);
    await b.drain();
    assert.deepEqual(calls, [[0], [0], [0], [1], [2]]);
  });

  it('retries a failed batch with growing backoff and keeps its items', async () => {
    const attempts: number[] = [];
    const delays: number[] = [];
    const flushed: number[][] = [];
    let failuresLeft = 3;
    const b = new Batcher<number>({
      maxItems: 10,
      maxWaitMs: 0,
      initialBackoffMs: 5,
      maxBackoffMs: 15,
      flush: async (xs) => {
        attempts.push(xs.length);
        if (failuresLeft-- > 0) throw new Error('database away');
        flushed.push(xs);
      },
      onFlushError: (_err, _attempt, delay) => delays.push(delay),
    });
    b.add(1);
    b.add(2);
    await b.drain();
    assert.deepEqual(delays, [5, 10, 15]);
    assert.deepEqual(flushed, [[1, 2]]);
    assert.equal(attempts.length, 4);
    assert.equal(b.retrying, false);
  });

  it('a flush function that throws synchronously is retried like a rejected one', async () => {
    let calls = 0;
    const b = new Batcher<number>({
      maxItems: 1,
      maxWaitMs: 0,
      initialBackoffMs: 1,
      flush: (() => {
        calls++;
        if (calls === 1) throw new Error('sync');
        return Promise.resolve();
      }) as (xs: number[]) => Promise<void>,
    });
    b.add(1);
    await b.drain();
    assert.equal(calls, 2);
  });

  it('close() returns what was never flushed and stops retrying', async () => {
    let calls = 0;
    const b = new Batcher<number>({
      maxItems: 100,
      maxWaitMs: 1000,
      flush: async () => {
        calls++;
      },
    });
    b.add(1);
    b.add(2);
    assert.deepEqual(b.close(), [1, 2]);
    await tick(20);
    assert.equal(calls, 0);
    assert.throws(() => b.add(3), /closed/);
  });

  it('counts items by weight when asked: a batch holds up to maxItems of weight, at least one item', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxItems: 10, maxWaitMs: 1000, weight: (n) => n, flush: async (xs) => void batches.push(xs) });
    b.add(4);
    b.add(5);
    assert.deepEqual(batches, []);
    b.add(3); // 12 ≥ 10: flush what fits in 10
    b.add(25); // heavier than a whole batch: goes alone
    await b.drain();
    assert.deepEqual(batches, [[4, 5], [3], [25]]);
  });

  it('rejects nonsensical limits', () => {
    assert.throws(() => new Batcher<number>({ maxItems: 0, maxWaitMs: 1, flush: async () => {} }), RangeError);
    assert.throws(() => new Batcher<number>({ maxItems: 1, maxWaitMs: -1, flush: async () => {} }), RangeError);
  });
});
