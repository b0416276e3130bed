import assert from 'node:assert/strict';
import type { LiveReading } from '../lib/live/live-model';
import { SseHub, type SseClient } from '../lib/live/sse-hub';

function change(deviceId: string, attribute: string, value: LiveReading['value'], ts: number): LiveReading {
  const [site, room, device] = deviceId.split('/');
  return { deviceId, site, room, device, attribute, value, ts };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** An HTTP response as far as the hub uses it, recording what it was told. */
class FakeClient implements SseClient {
  status = 0;
  headers: Record<string, string> = {};
  flushed = false;
  chunks: string[] = [];
  ended = false;
  destroyed = false;
  writableLength = 0;
  private onClose: Array<() => void> = [];

  writeHead(status: number, headers: Record<string, string>): void {
    this.status = status;
    this.headers = headers;
  }
  flushHeaders(): void {
    this.flushed = true;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  on(_event: 'close', listener: () => void): void {
    this.onClose.push(listener);
  }
  hangUp(): void {
    for (const l of this.onClose) l();
  }
  /** The named events received, their data parsed. */
  events(): Array<{ event: string; data: unknown }> {
    const out: Array<{ event: string; data: unknown }> = [];
    for (const frame of this.chunks.join('').split('\n\n')) {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event && data !== undefined) out.push({ event, data: JSON.parse(data) });
    }
    return out;
  }
}

describe('SseHub (coalescing event fan-out)', () => {
  const hubs: SseHub[] = [];
  const hub = (flushMs: number, heartbeatMs = 60000, maxBufferedBytes?: number) => {
    const h = new SseHub(flushMs, heartbeatMs, { maxBufferedBytes });
    hubs.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of hubs.splice(0)) h.close();
  });

  it('opens an unbuffered event stream and sends the snapshot first', () => {
    const h = hub(50);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: { devices: 0, sites: [] } });
    assert.equal(c.status, 200);
    assert.match(c.headers['Content-Type'], /^text\/event-stream/);
    assert.match(c.headers['Cache-Control'], /no-cache/);
    assert.equal(c.headers['X-Accel-Buffering'], 'no');
    assert.equal(c.flushed, true);
    assert.deepEqual(c.events(), [{ event: 'snapshot', data: { devices: 0, sites: [] } }]);
    assert.equal(h.clientCount, 1);
  });

  it('coalesces a burst into one batch where the latest value per device attribute wins', async () => {
    const h = hub(40);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    for (let i = 0; i < 5000; i++) {
      h.queueReading(change('s/r/a', 'temperature', i, i));
      h.queueReading(change('s/r/b', 'humidity', -i, i));
    }
    await sleep(100);
    const batches = c.events().filter((e) => e.event === 'readings');
    assert.equal(batches.length, 1);
    const batch = batches[0].data as { deviceId: string; value: number }[];
    assert.deepEqual(batch.map((x) => [x.deviceId, x.value]), [
      ['s/r/a', 4999],
      ['s/r/b', -4999],
    ]);
  });

  it('sends at most one batch per flush interval however fast readings come', async () => {
    const h = hub(100);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    const start = Date.now();
    let n = 0;
    while (Date.now() < start + 600) {
      for (let i = 0; i < 200; i++) h.queueReading(change(`s/r/d${i % 50}`, 'a', n++, n));
      await new Promise((res) => setImmediate(res));
    }
    await sleep(150);
    const elapsed = Date.now() - start;
    const batches = c.events().filter((e) => e.event === 'readings');
    assert.ok(n > 10000, `sent ${n} readings`);
    // A loaded machine may fire timers late (fewer batches), never early (more).
    assert.ok(batches.length >= 2 && batches.length <= Math.ceil(elapsed / 100) + 1, `${batches.length} batches in ${elapsed} ms`);
    for (const b of batches) assert.ok((b.data as unknown[]).length <= 50);
  });

  it('sends heartbeat comments to idle streams', async () => {
    const h = hub(50, 30);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    await sleep(100);
    assert.ok(c.chunks.some((x) => x.startsWith(': ')), c.chunks.join(''));
  });

  it('forgets a client that hung up, and queues nothing without clients', async () => {
    const h = hub(20);
    const c = new FakeClient();
    h.attach(c, { event: 'snapshot', data: {} });
    c.hangUp();
    assert.equal(h.clientCount, 0);
    h.queueReading(change('s/r/d', 'a', 1, 1));
    await sleep(60);
    assert.equal(c.events().filter((e) => e.event === 'readings').length, 0);
  });

  it('cuts off a client that stopped reading instead of buffering for it', async () => {
    const h = hub(10, 60000, 1000);
    const slow = new FakeClient();
    const fast = new FakeClient();
    h.attach(slow, { event: 'snapshot', data: {} });
    h.attach(fast, { event: 'snapshot', data: {} });
    slow.writableLength = 5000;
    h.queueReading(change('s/r/d', 'a', 1, 1));
    await sleep(50);
    assert.equal(slow.destroyed, true);
    assert.equal(h.clientCount, 1);
    assert.equal(fast.events().filter((e) => e.event === 'readings').length, 1);
  });

  it('close() ends every stream at once', () => {
    const h = hub(20);
    const clients = [new FakeClient(), new FakeClient(), new FakeClient()];
    for (const c of clients) h.attach(c, { event: 'snapshot', data: {} });
    h.queueReading(change('s/r/d', 'a', 1, 1));
    h.close();
    assert.deepEqual(clients.map((c) => c.ended), [true, true, true]);
    assert.equal(h.clientCount, 0);
  });
});
